import { PageHeader } from "../../components/PageHeader";

/** Placeholder: H2 builds the approvals queues here. */
export function ApprovalsPage() {
  return <PageHeader title="Approvals" description="Tools, modules and network access waiting for your decision." />;
}
