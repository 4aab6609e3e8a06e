import { describe, expect, it } from "vitest";
import { labelIndexes } from "./charts";

describe("labelIndexes", () => {
  it("spaces 25 hourly labels and keeps the last one clear of its neighbour", () => {
    expect([...labelIndexes(25, 6)].sort((a, b) => a - b)).toEqual([0, 5, 10, 15, 24]);
  });

  it("shows every label when there are few", () => {
    expect([...labelIndexes(3, 6)].sort((a, b) => a - b)).toEqual([0, 1, 2]);
  });

  it("shows nothing for no labels and the single label for one", () => {
    expect(labelIndexes(0, 6).size).toBe(0);
    expect([...labelIndexes(1, 6)]).toEqual([0]);
  });
});
