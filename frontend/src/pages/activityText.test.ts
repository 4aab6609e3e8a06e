import { describe, expect, it } from "vitest";

import type { ActivityOut } from "../api/types";
import { summary, targetLabel } from "./activityText";

const ROW: ActivityOut = {
  id: 1,
  actor_kind: "admin",
  actor_name: "alice",
  action: "tool.approved",
  target_kind: "tool",
  target_id: "21",
  target_name: "weather__current",
  details: {},
  created_at: "2026-12-06T08:00:00Z",
};

describe("activity in words", () => {
  it("names the target instead of its id, and falls back to the id once it is gone", () => {
    expect(targetLabel(ROW)).toBe("tool weather__current");
    expect(targetLabel({ ...ROW, target_kind: "admin", target_id: "1", target_name: null })).toBe("admin 1");
    expect(targetLabel({ ...ROW, target_kind: null, target_id: null, target_name: null })).toBe("–");
  });

  it("turns details into a readable line, leaving empty values out", () => {
    expect(
      summary({ from: "pending_review", to: "approved", version: 2, note: null, added: ["yaml", "httpx"] }),
    ).toBe("from: pending_review · to: approved · version: 2 · added: yaml, httpx");
    expect(summary({ changes: { private_hosts: ["127.0.0.1"] } })).toBe("changes: private hosts 127.0.0.1");
    expect(summary({})).toBe("");
  });
});
