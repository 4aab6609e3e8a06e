const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A date-time for people, or `missing` when there is none. */
export function formatDate(value: string | null | undefined, missing = "–"): string {
  return value ? dateFormat.format(new Date(value)) : missing;
}
