// When a factory's exclusions end early: its effective capabilities changed, its declared set changed (not its
// first declaration), or it has more seats — and never on a heartbeat that repeats what it had.
import { describe, expect, it } from "vitest";
import { grantChangeClearsExclusions, type OfferedGrant } from "../../src/core/exclusions.ts";

const g = (capabilities: string[], declared: string[] | undefined, seats = 1): OfferedGrant => ({
  capabilities,
  declared,
  seats,
});

describe("grantChangeClearsExclusions", () => {
  const cases: Array<[string, OfferedGrant, OfferedGrant, boolean]> = [
    ["the same declaration again", g(["gpu"], ["gpu"]), g(["gpu"], ["gpu"]), false],
    ["the same set in another order", g(["a", "b"], ["b", "a"]), g(["b", "a"], ["a", "b"]), false],
    ["a first declaration within the grant", g(["gpu"], undefined), g(["gpu"], ["gpu"]), false],
    ["a capability approved (effective set grows)", g(["gpu"], ["gpu", "x"]), g(["gpu", "x"], ["gpu", "x"]), true],
    ["a capability dropped (effective set shrinks)", g(["gpu", "x"], ["gpu", "x"]), g(["gpu"], ["gpu"]), true],
    ["a new declared capability still pending", g(["gpu"], ["gpu"]), g(["gpu"], ["gpu", "x"]), true],
    ["more seats", g(["gpu"], ["gpu"], 1), g(["gpu"], ["gpu"], 2), true],
    ["fewer seats", g(["gpu"], ["gpu"], 2), g(["gpu"], ["gpu"], 1), false],
  ];
  for (const [name, before, after, clears] of cases) {
    it(`${clears ? "clears" : "keeps"} on ${name}`, () =>
      expect(grantChangeClearsExclusions(before, after)).toBe(clears));
  }
});
