// dashboard/newest-read: a read is the page's news only while no read was sent after it — the newest one sent draws,
// an older one answering late (before or after the newer) does not, and an action's overtake() makes every read out
// older, while a read sent after the action is the newest again.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { newestRead } from "../../dashboard/newest-read.js";

describe("dashboard/newest-read", () => {
  it("says only the read sent last is the newest, whichever answers first", () => {
    const reads = newestRead();
    const first = reads.begin();
    expect(reads.newest(first)).toBe(true);
    const second = reads.begin();
    expect([reads.newest(first), reads.newest(second)]).toEqual([false, true]);
    expect(reads.newest(first)).toBe(false); // still older once the newer one has answered
  });

  it("makes every read out older at an overtake, and the next read sent the newest", () => {
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
    b.begin();
    expect(a.newest(fromA)).toBe(true);
  });
});
