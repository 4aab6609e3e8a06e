/** A busy indicator announced to screen readers as `label`. */
export function Spinner({ label = "Loading" }: { label?: string }) {
  return (
    <div className="spinner-block" role="status">
      <span className="spinner" aria-hidden="true" />
      <span>{label}…</span>
    </div>
  );
}
