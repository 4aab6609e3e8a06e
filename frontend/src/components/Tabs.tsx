import { useId, useRef, useState } from "react";

import { cx } from "./cx";

export interface TabItem {
  id: string;
  label: React.ReactNode;
  /** The panel; rendered only while its tab is selected. */
  content: React.ReactNode;
  disabled?: boolean;
}

export interface TabsProps {
  tabs: TabItem[];
  /** Names the tab list for screen readers. */
  label: string;
  /** Controlled selection (e.g. from the URL); uncontrolled starts at `defaultSelected` or the first tab. */
  selected?: string;
  defaultSelected?: string;
  onSelect?: (id: string) => void;
}

/**
 * WAI-ARIA tabs with a roving tabindex: Tab enters the list at the selected tab, arrow keys move
 * and select (wrapping), Home/End jump to the ends; disabled tabs are skipped.
 */
export function Tabs({ tabs, label, selected, defaultSelected, onSelect }: TabsProps) {
  const baseId = useId();
  const [own, setOwn] = useState(defaultSelected ?? tabs[0]?.id ?? "");
  const current = selected ?? own;
  const buttons = useRef(new Map<string, HTMLButtonElement>());

  const select = (id: string) => {
    setOwn(id);
    onSelect?.(id);
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>) => {
    const enabled = tabs.filter((tab) => !tab.disabled);
    const index = enabled.findIndex((tab) => tab.id === current);
    let next: TabItem | undefined;
    if (event.key === "ArrowRight") next = enabled[(index + 1) % enabled.length];
    else if (event.key === "ArrowLeft") next = enabled[(index - 1 + enabled.length) % enabled.length];
    else if (event.key === "Home") next = enabled[0];
    else if (event.key === "End") next = enabled[enabled.length - 1];
    if (!next) return;
    event.preventDefault();
    select(next.id);
    buttons.current.get(next.id)?.focus();
  };

  const active = tabs.find((tab) => tab.id === current);
  return (
    <div className="tabs">
      <div role="tablist" aria-label={label} className="tablist" onKeyDown={onKeyDown}>
        {tabs.map((tab) => {
          const isSelected = tab.id === current;
          return (
            <button
              key={tab.id}
              ref={(node) => {
                if (node) buttons.current.set(tab.id, node);
                else buttons.current.delete(tab.id);
              }}
              type="button"
              role="tab"
              id={`${baseId}-tab-${tab.id}`}
              aria-selected={isSelected}
              aria-controls={`${baseId}-panel-${tab.id}`}
              tabIndex={isSelected ? 0 : -1}
              disabled={tab.disabled}
              className={cx("tab", isSelected && "tab-selected")}
              onClick={() => select(tab.id)}
            >
              {tab.label}
            </button>
          );
        })}
      </div>
      {active && (
        <div
          role="tabpanel"
          id={`${baseId}-panel-${active.id}`}
          aria-labelledby={`${baseId}-tab-${active.id}`}
          tabIndex={0}
          className="tabpanel"
        >
          {active.content}
        </div>
      )}
    </div>
  );
}
