// core/feed-hold: the hold's cut-off and end, and the bounded set of feeds being read (TTL, least recently read
// forgotten first).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FEED_HOLD_MS, heldUntil, holdCutoff, WantedFeeds } from "../../src/core/feed-hold.ts";

describe("core/feed-hold", () => {
  it("an event is due by age exactly when it has waited the whole hold", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 60_000 }), (at, waited) => {
        const now = at + waited;
        expect(at <= holdCutoff(now)).toBe(waited >= FEED_HOLD_MS);
        expect(heldUntil(at) <= now).toBe(waited >= FEED_HOLD_MS);
      }),
    );
  });

  it("a feed stays wanted for the TTL after its last read, and the set never exceeds its bound", () => {
    const w = new WantedFeeds(1_000, 3);
    w.want("a", 0);
    w.want("b", 100);
    expect(w.has("a", 999)).toBe(true);
    expect(w.has("a", 1_000)).toBe(false);
    w.want("a", 500); // read again: wanted longer, and now the most recently read
    w.want("c", 600);
    w.want("d", 700); // over the bound: b, least recently read, is forgotten
    expect(w.keys(700)).toEqual(["a", "c", "d"]);
    expect(w.keys(1_550)).toEqual(["c", "d"]);
  });
});
