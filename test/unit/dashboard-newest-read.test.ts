// dashboard/newest-read: a read is drawn unless a read sent after it has been drawn already — an older one answering
// before the newer draws (it is still newer than what is shown), one answering after the newer is dropped, its failure
// too; a page that sends reads faster than they answer still draws each answer newer than the last drawn (only the
// read sent last drawing, such a page drew nothing at all); `last` says which read out arms a busy button; an action's
// overtake() makes every read out older than what is drawn, while a read sent after the action draws again.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { newestRead } from "../../dashboard/newest-read.js";

describe("dashboard/newest-read", () => {
  it("draws an older read answering first, and drops it once a newer one has drawn", () => {
    const reads = newestRead();
    const first = reads.begin();
    const second = reads.begin();
    expect(reads.newest(first)).toBe(true); // the newer is still out: the older is newer than what is shown
    expect(reads.newest(second)).toBe(true);
    expect(reads.newest(first)).toBe(false); // older than what is drawn now
    const third = reads.begin();
    const fourth = reads.begin();
    expect([reads.newest(fourth), reads.newest(third)]).toEqual([true, false]);
  });

  it("draws something when every read is overtaken by the next before it answers", () => {
    const reads = newestRead();
    let drawn = 0;
    let out = reads.begin();
    for (let i = 0; i < 10; i++) {
      const next = reads.begin(); // the timer sends the next read while this one is still out
      if (reads.newest(out)) drawn++;
      out = next;
    }
    expect(drawn).toBe(10);
  });

  it("never draws a read older than one drawn, whatever the order of answers", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), (seeds) => {
        const reads = newestRead();
        const out = seeds.map(() => reads.begin());
        const order = out.map((n, i) => ({ n, k: seeds[i] ?? 0 })).sort((a, b) => a.k - b.k || a.n - b.n);
        let last = 0;
        for (const { n } of order) {
          if (!reads.newest(n)) continue;
          expect(n).toBeGreaterThan(last);
          last = n;
        }
        expect(last).toBe(out.length); // the newest sent is always drawn in the end
      }),
    );
  });

  it("says the last read out alone arms a busy button", () => {
    const reads = newestRead();
    const first = reads.begin();
    const second = reads.begin();
    expect([reads.last(first), reads.last(second)]).toEqual([false, true]);
  });

  it("makes every read out older at an overtake, and the next read sent drawn", () => {
    const reads = newestRead();
    const out = reads.begin();
    reads.overtake();
    expect(reads.newest(out)).toBe(false);
    const after = reads.begin();
    expect([reads.newest(out), reads.newest(after)]).toEqual([false, true]);
  });

  it("numbers each page's reads apart: one page's read overtakes none of another's", () => {
    const [a, b] = [newestRead(), newestRead()];
    const fromA = a.begin();
    b.newest(b.begin());
    expect(a.newest(fromA)).toBe(true);
  });
});
