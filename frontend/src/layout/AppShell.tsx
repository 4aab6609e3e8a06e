/** The signed-in frame: skip link, header (menu button, theme, account), sidebar nav, the page. */
import { useEffect, useState } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router";

import { useLogout, useMe } from "../api/auth";
import { useDashboard } from "../api/dashboard";
import { Button } from "../components/Button";
import { Select } from "../components/Input";
import { cx } from "../components/cx";
import { useTheme } from "../theme/ThemeProvider";
import type { ThemePreference } from "../theme/theme";

export const NAV_ITEMS = [
  { to: "/", label: "Dashboard", end: true },
  { to: "/servers", label: "Servers", end: false },
  { to: "/workspaces", label: "Workspaces", end: false },
  { to: "/dotnet/snippets", label: "Snippet runs", end: false },
  { to: "/approvals", label: "Approvals", end: false },
  { to: "/activity", label: "Activity", end: false },
  { to: "/settings", label: "Settings", end: false },
  { to: "/connect", label: "Connect", end: false },
] as const;

const THEME_OPTIONS = [
  { value: "system", label: "System" },
  { value: "light", label: "Light" },
  { value: "dark", label: "Dark" },
];

function PendingCount() {
  const dashboard = useDashboard();
  const pending = dashboard.data?.pending_approvals;
  const total = pending ? pending.tools + pending.modules + pending.network : 0;
  if (total === 0) return null;
  return (
    <span className="nav-count">
      {total}
      <span className="visually-hidden"> pending</span>
    </span>
  );
}

export function AppShell() {
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  const navigate = useNavigate();
  const me = useMe();
  const logout = useLogout();
  const { preference, setPreference } = useTheme();

  useEffect(() => setMenuOpen(false), [location.pathname]);

  const onLogout = () => {
    logout.mutate(undefined, { onSettled: () => void navigate("/login", { replace: true }) });
  };

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Button
          variant="ghost"
          className="menu-button"
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          onClick={() => setMenuOpen((open) => !open)}
        >
          <span aria-hidden="true">☰</span> Menu
        </Button>
        <NavLink to="/" className="brand" aria-label="polybox dashboard">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span className="brand-name">polybox</span>
        </NavLink>
        <div className="topbar-actions">
          <Select
            aria-label="Theme"
            className="theme-select"
            value={preference}
            options={THEME_OPTIONS}
            onChange={(event) => setPreference(event.target.value as ThemePreference)}
          />
          {me.data && <span className="whoami">{me.data.username}</span>}
          <Button size="sm" onClick={onLogout} busy={logout.isPending}>
            Log out
          </Button>
        </div>
      </header>
      <div className="shell-body">
        <nav id="sidebar" aria-label="Main" className={cx("sidebar", menuOpen && "sidebar-open")}>
          <ul>
            {NAV_ITEMS.map((item) => (
              <li key={item.to}>
                <NavLink to={item.to} end={item.end} className={({ isActive }) => cx("nav-link", isActive && "nav-active")}>
                  {item.label}
                  {item.to === "/approvals" && <PendingCount />}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </div>
  );
}
