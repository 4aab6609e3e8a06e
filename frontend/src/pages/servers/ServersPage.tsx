import { PageHeader } from "../../components/PageHeader";

/** Placeholder: H2 builds the servers list here. */
export function ServersPage() {
  return <PageHeader title="Servers" description="The servers your LLMs built, and their tools." />;
}
