import { useState } from "react";

/**
 * A set of selected keys that only ever holds keys still present in `available` (items that were
 * decided meanwhile drop out of the selection by themselves).
 */
export function useSelection<K>(available: K[]) {
  const [chosen, setChosen] = useState<ReadonlySet<K>>(new Set());
  const selected = available.filter((key) => chosen.has(key));
  return {
    selected,
    isSelected: (key: K) => chosen.has(key),
    set: (key: K, on: boolean) =>
      setChosen((previous) => {
        const next = new Set(previous);
        if (on) next.add(key);
        else next.delete(key);
        return next;
      }),
    setAll: (on: boolean) => setChosen(new Set(on ? available : [])),
    clear: () => setChosen(new Set()),
  };
}
