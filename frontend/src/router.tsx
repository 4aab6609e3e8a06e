/** Every page of the app and which ones need a session. */
import { createBrowserRouter } from "react-router";

import { AnonymousOnly, RequireSession } from "./auth/guards";
import { AppShell } from "./layout/AppShell";
import { ActivityPage } from "./pages/ActivityPage";
import { ApprovalsPage } from "./pages/approvals/ApprovalsPage";
import { LoginPage } from "./pages/auth/LoginPage";
import { SetupPage } from "./pages/auth/SetupPage";
import { ConnectPage } from "./pages/connect/ConnectPage";
import { DashboardPage } from "./pages/DashboardPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { ServerDetailPage } from "./pages/servers/ServerDetailPage";
import { ServersPage } from "./pages/servers/ServersPage";
import { SettingsPage } from "./pages/settings/SettingsPage";
import { SnippetRunPage } from "./pages/workspaces/SnippetRunPage";
import { SnippetRunsPage } from "./pages/workspaces/SnippetRunsPage";
import { WorkspaceDetailPage } from "./pages/workspaces/WorkspaceDetailPage";
import { WorkspacesPage } from "./pages/workspaces/WorkspacesPage";

export const routes = [
  { element: <AnonymousOnly page="setup" />, children: [{ path: "/setup", element: <SetupPage /> }] },
  { element: <AnonymousOnly page="login" />, children: [{ path: "/login", element: <LoginPage /> }] },
  {
    element: <RequireSession />,
    children: [
      {
        element: <AppShell />,
        children: [
          { path: "/", element: <DashboardPage /> },
          { path: "/servers", element: <ServersPage /> },
          { path: "/servers/:server", element: <ServerDetailPage /> },
          { path: "/servers/:server/:tab", element: <ServerDetailPage /> },
          { path: "/workspaces", element: <WorkspacesPage /> },
          { path: "/workspaces/:workspace", element: <WorkspaceDetailPage /> },
          { path: "/dotnet/snippets", element: <SnippetRunsPage /> },
          { path: "/dotnet/snippets/:run", element: <SnippetRunPage /> },
          { path: "/approvals", element: <ApprovalsPage /> },
          { path: "/approvals/:queue", element: <ApprovalsPage /> },
          { path: "/activity", element: <ActivityPage /> },
          { path: "/settings", element: <SettingsPage /> },
          { path: "/settings/:section", element: <SettingsPage /> },
          { path: "/connect", element: <ConnectPage /> },
          { path: "*", element: <NotFoundPage /> },
        ],
      },
    ],
  },
];

export function createRouter() {
  return createBrowserRouter(routes);
}
