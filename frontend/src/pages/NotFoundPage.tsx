import { Link } from "react-router";

import { EmptyState } from "../components/EmptyState";

export function NotFoundPage() {
  return (
    <EmptyState title="Page not found" action={<Link to="/">Go to the dashboard</Link>}>
      <p>This address does not match any page of polybox.</p>
    </EmptyState>
  );
}
