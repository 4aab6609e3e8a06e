import type { ReactNode } from "react";

/** One named fact of a summary card: its label and what it reads. */
export type Fact = [string, ReactNode];

/** A summary card of named facts, in a grid that wraps at phone width. */
export function FactsCard({ facts, label = "Summary" }: { facts: Fact[]; label?: string }) {
  return (
    <section className="section card" aria-label={label}>
      <dl className="facts facts-grid">
        {facts.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
