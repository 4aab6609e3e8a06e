import { PageHeader } from "../components/PageHeader";

export function ActivityPage() {
  return <PageHeader title="Activity" />;
}
