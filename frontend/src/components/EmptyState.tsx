export interface EmptyStateProps {
  title: string;
  /** What to do next, in a sentence or two. */
  children?: React.ReactNode;
  /** A button or link that does it. */
  action?: React.ReactNode;
}

/** What an empty list shows: what is missing and how to get some. */
export function EmptyState({ title, children, action }: EmptyStateProps) {
  return (
    <div className="empty-state">
      <h3 className="empty-title">{title}</h3>
      {children && <div className="empty-body">{children}</div>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}
