import { useParams } from "react-router";

import { PageHeader } from "../../components/PageHeader";

/** Placeholder: H2 builds the server detail (tabs) here. Route: /servers/:server/:tab? */
export function ServerDetailPage() {
  const { server = "" } = useParams();
  return <PageHeader title={server} description="Server detail" />;
}
