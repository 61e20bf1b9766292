// The dashboard's waiting list for capped panels (dashboard/capped.js `pending`): whatever arrives, in pushes of any
// size, a take returns exactly the newest `max` items in order, every item pushed out is counted once as dropped,
// and never more than a quarter over `max` waits — a long replay's lines are never all held at once.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { pending } from "../../dashboard/capped.js";
import { mulberry32 } from "../support/seeded-random.ts";

describe("dashboard capped pending list", () => {
  it("keeps the newest max in order, counts the rest once, and stays within a quarter over max", () => {
    const random = mulberry32(25);
    for (let round = 0; round < 50; round++) {
      const max = 1 + Math.floor(random() * 50);
      const list = pending(max);
      let next = 0; // items pushed so far: 0, 1, 2, …
      let accounted = 0; // items already taken or counted as dropped
      for (let step = 0; step < 40; step++) {
        list.push(Array.from({ length: Math.floor(random() * 3 * max) }, () => next++));
        expect(list.size()).toBeLessThanOrEqual(Math.ceil(max * 1.25));
        if (random() < 0.3 || step === 39) {
          const out: number[] = list.take();
          const dropped: number = list.dropped();
          expect(out).toEqual(Array.from({ length: out.length }, (_, i) => next - out.length + i));
          expect(out.length).toBe(Math.min(max, next - accounted));
          expect(out.length + dropped).toBe(next - accounted);
          accounted = next;
        }
      }
    }
  });
});
