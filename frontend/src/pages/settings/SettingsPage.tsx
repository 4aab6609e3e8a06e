import { useNavigate, useParams } from "react-router";

import { PageHeader } from "../../components/PageHeader";
import { Tabs } from "../../components/Tabs";
import { AccountSection } from "./AccountSection";
import { AdminsSection } from "./AdminsSection";
import { DotnetSection } from "./DotnetSection";
import { PolicySection } from "./PolicySection";
import { TokensSection } from "./TokensSection";

const SECTIONS = [
  { id: "policy", label: "Security policy", content: <PolicySection /> },
  { id: "dotnet", label: ".NET", content: <DotnetSection /> },
  { id: "tokens", label: "API tokens", content: <TokensSection /> },
  { id: "admins", label: "Admins", content: <AdminsSection /> },
  { id: "account", label: "Your account", content: <AccountSection /> },
];

/** Settings in tabs; the tab is part of the URL (/settings/tokens) so it can be linked. */
export function SettingsPage() {
  const { section } = useParams();
  const navigate = useNavigate();
  const selected = SECTIONS.some((s) => s.id === section) ? (section as string) : "policy";
  return (
    <>
      <PageHeader title="Settings" description="How much the LLMs may do on their own, who may connect, and who administers polybox." />
      <Tabs
        label="Settings sections"
        tabs={SECTIONS}
        selected={selected}
        onSelect={(id) => void navigate(`/settings/${id}`, { replace: true })}
      />
    </>
  );
}
