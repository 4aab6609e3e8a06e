import { useState } from "react";

import { Button } from "../../components/Button";
import { ErrorBanner } from "../../components/ErrorBanner";
import { TextField } from "../../components/Field";

export interface AllowListProps {
  /** "Allowed hosts"; also names the list and the add field ("Add to allowed hosts"). */
  title: string;
  entries: string[];
  hint: string;
  empty: string;
  busy: boolean;
  error: unknown;
  /** Replace the whole list (the API takes lists whole); `marked` is the added entry when ticked. */
  onSave: (entries: string[], marked?: string) => void;
  /** A checkbox beside the add field (e.g. "On my private network"); ticking it marks the entry. */
  markLabel?: string;
}

/** An editable allow-list: each entry with "Remove", and a field to add one. */
export function AllowList({ title, entries, hint, empty, busy, error, onSave, markLabel }: AllowListProps) {
  const [draft, setDraft] = useState("");
  const [marked, setMarked] = useState(false);
  const add = (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    const entry = draft.trim();
    if (!entry || entries.includes(entry)) return;
    onSave([...entries, entry], marked ? entry : undefined);
    setDraft("");
    setMarked(false);
  };
  return (
    <section className="card stack" aria-label={title}>
      <h3>{title}</h3>
      {entries.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="allow-list">
          {entries.map((entry) => (
            <li key={entry}>
              <code>{entry}</code>
              <Button
                size="sm"
                variant="ghost"
                aria-label={`Remove ${entry}`}
                disabled={busy}
                onClick={() => onSave(entries.filter((other) => other !== entry))}
              >
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={add}>
        <TextField
          label={`Add to ${title.toLowerCase()}`}
          hint={hint}
          autoComplete="off"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
        />
        {markLabel && (
          <label className="checkbox">
            <input type="checkbox" checked={marked} onChange={(event) => setMarked(event.target.checked)} />
            {markLabel}
          </label>
        )}
        <Button type="submit" busy={busy} disabled={!draft.trim()}>
          Add
        </Button>
      </form>
      {Boolean(error) && <ErrorBanner error={error} />}
    </section>
  );
}
