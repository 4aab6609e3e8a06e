import { ApiError, messageOf } from "../api/client";
import { Button } from "./Button";

export interface ErrorBannerProps {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}

/** An error in plain words (the API's own message), with a retry button when one helps. */
export function ErrorBanner({ error, title, onRetry }: ErrorBannerProps) {
  const fields = error instanceof ApiError ? Object.entries(error.fieldErrors) : [];
  return (
    <div className="banner banner-error" role="alert">
      <div>
        {title && <p className="banner-title">{title}</p>}
        <p>{messageOf(error)}</p>
        {fields.length > 1 && (
          <ul>
            {fields.map(([field, message]) => (
              <li key={field}>
                {field}: {message}
              </li>
            ))}
          </ul>
        )}
      </div>
      {onRetry && (
        <Button size="sm" onClick={onRetry}>
          Try again
        </Button>
      )}
    </div>
  );
}

/** A one-line notice that something worked (role=status, so it is announced politely). */
export function SuccessBanner({ children }: { children: React.ReactNode }) {
  return (
    <div className="banner banner-success" role="status">
      <p>{children}</p>
    </div>
  );
}
