/**
 * Route guards: the app's pages need a session, and nothing but /setup makes sense before the
 * first admin exists.
 */
import { Navigate, Outlet, useLocation } from "react-router";

import { useAuthStatus } from "../api/auth";
import { ErrorBanner } from "../components/ErrorBanner";
import { Spinner } from "../components/Spinner";
import { useHasSession } from "./useSession";

function StatusGate({ children }: { children: (setupRequired: boolean) => React.ReactNode }) {
  const status = useAuthStatus();
  if (status.isPending) return <Spinner label="Loading polybox" />;
  if (status.isError)
    return (
      <main className="auth-page">
        <ErrorBanner error={status.error} onRetry={() => void status.refetch()} />
      </main>
    );
  return <>{children(status.data.setup_required)}</>;
}

/** Pages behind login: to /setup on a fresh instance, to /login (remembering where) without a session. */
export function RequireSession() {
  const hasSession = useHasSession();
  const location = useLocation();
  return (
    <StatusGate>
      {(setupRequired) => {
        if (setupRequired) return <Navigate to="/setup" replace />;
        if (!hasSession) {
          const next = location.pathname + location.search;
          return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
        }
        return <Outlet />;
      }}
    </StatusGate>
  );
}

/** /login and /setup: each one only when it applies. */
export function AnonymousOnly({ page }: { page: "login" | "setup" }) {
  const hasSession = useHasSession();
  return (
    <StatusGate>
      {(setupRequired) => {
        if (page === "login" && setupRequired) return <Navigate to="/setup" replace />;
        if (page === "setup" && !setupRequired) return <Navigate to="/login" replace />;
        if (hasSession && !setupRequired) return <Navigate to="/" replace />;
        return <Outlet />;
      }}
    </StatusGate>
  );
}
