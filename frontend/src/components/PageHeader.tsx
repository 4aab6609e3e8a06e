export interface PageHeaderProps {
  title: string;
  description?: React.ReactNode;
  /** Buttons on the right (wrap under the title on narrow screens). */
  actions?: React.ReactNode;
}

/** The page's h1 with a one-line description and its main actions. */
export function PageHeader({ title, description, actions }: PageHeaderProps) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {description && <p className="page-description">{description}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}
