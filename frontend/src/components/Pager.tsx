import { Button } from "./Button";

export interface PagerProps {
  /** Names the navigation for screen readers, e.g. "Log pages". */
  label: string;
  /** 1-based. */
  page: number;
  pages: number;
  onPage: (page: number) => void;
}

/** Newer / Older buttons around "Page n of m" for a newest-first list; nothing when one page fits. */
export function Pager({ label, page, pages, onPage }: PagerProps) {
  if (pages <= 1) return null;
  return (
    <nav className="row pager" aria-label={label}>
      <Button size="sm" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Newer
      </Button>
      <span>
        Page {page} of {pages}
      </span>
      <Button size="sm" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Older
      </Button>
    </nav>
  );
}
