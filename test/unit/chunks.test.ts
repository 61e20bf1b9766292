// chunkBySize keeps order and respects both the count and the byte budget.
import { describe, expect, it } from "vitest";
import { chunkBySize } from "../../src/core/chunks.ts";

describe("chunkBySize", () => {
  const size = (s: string) => s.length;
  it("closes a chunk before it would exceed the byte budget", () => {
    expect(chunkBySize(["aaa", "bb", "cccc", "d"], { maxBytes: 5 }, size)).toEqual([
      ["aaa", "bb"],
      ["cccc", "d"],
    ]);
  });
  it("closes a chunk at the item count even when bytes remain", () => {
    expect(chunkBySize(["a", "b", "c"], { maxItems: 2, maxBytes: 100 }, size)).toEqual([["a", "b"], ["c"]]);
  });
  it("gives an oversized item a chunk of its own rather than dropping it", () => {
    expect(chunkBySize(["a", "toolong", "b"], { maxBytes: 3 }, size)).toEqual([["a"], ["toolong"], ["b"]]);
  });
  it("returns no chunks for no items", () => {
    expect(chunkBySize([], { maxBytes: 1 }, size)).toEqual([]);
  });
});
