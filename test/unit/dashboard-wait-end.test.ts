// dashboard/wait-end: a job page reads a quiet waiting job once when the end its reason names has passed (a retry's
// backoff, an exclusion's end, a serial hold's stop bound, the job's notBefore) — once per end, not a poll; one further
// off than a browser's timer can wait is not read at once. With the page's clock ahead of the coordinator's, a read
// that still names the end (passed by the page's clock), or a reason naming one already passed, is read again at
// growing gaps (2, 4, … 32 s) and then no more; an end that moves with the coordinator's clock at every read (the
// page's clock behind) is read at growing gaps up to a minute, not every second. NaN, Infinity or text arm nothing.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { END_SLACK_MS, readAtWaitEnd, waitEnd } from "../../dashboard/wait-end.js";

const T = 1_700_000_000_000;
const waiting = (detail: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  ...more,
  waitingReason: { code: "retry_backoff", detail },
});

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T);
});
afterEach(() => vi.useRealTimers());

describe("dashboard/wait-end", () => {
  it("names the earliest end ahead of now", () => {
    expect(waitEnd(waiting({ until: T + 5_000 }), T)).toBe(T + 5_000);
    expect(waitEnd(waiting({ stopping: { until: T + 3_000 } }, { notBefore: T + 9_000 }), T)).toBe(T + 3_000);
    expect(waitEnd(waiting({ until: T - 1 }), T)).toBeUndefined();
    expect(waitEnd({ stage: "running" }, T)).toBeUndefined();
  });

  it("reads once when the end has passed, and not again for the same end", () => {
    const read = vi.fn();
    const ends = readAtWaitEnd(read);
    ends.shown(waiting({ until: T + 60_000 }));
    vi.advanceTimersByTime(60_000 + END_SLACK_MS - 1);
    expect(read).not.toHaveBeenCalled();
    ends.shown(waiting({ until: T + 60_000 })); // drawn again meanwhile: the same end stays armed
    vi.advanceTimersByTime(1);
    expect(read).toHaveBeenCalledTimes(1);
    ends.shown(waiting({ code: "fits" })); // the read names no end any more: nothing more
    vi.advanceTimersByTime(600_000);
    expect(read).toHaveBeenCalledTimes(1);
    ends.shown(waiting({ until: Date.now() + 10_000 })); // a new end
    vi.advanceTimersByTime(10_000 + END_SLACK_MS);
    expect(read).toHaveBeenCalledTimes(2);
  });

  it("arms nothing for an end that is not a finite instant", () => {
    const read = vi.fn();
    const ends = readAtWaitEnd(read);
    for (const until of [Number.NaN, Number.POSITIVE_INFINITY, "2023-11-14T22:13:20Z", null, -1])
      ends.shown(waiting({ until, stopping: { until } }, { notBefore: until }));
    vi.advanceTimersByTime(3_600_000);
    expect(read).not.toHaveBeenCalled();
  });

  it("reads again while a read still names the end passed (the page's clock ahead), at growing gaps, then stops", () => {
    const read = vi.fn();
    const ends = readAtWaitEnd(read);
    const end = T + 5_000;
    const at: number[] = [];
    read.mockImplementation(() => {
      at.push(Date.now() - end);
      ends.shown(waiting({ until: end })); // the coordinator's clock is not there yet: it still names the end
    });
    ends.shown(waiting({ until: end }));
    vi.advanceTimersByTime(600_000);
    expect(at).toEqual([1_000, 3_000, 7_000, 15_000, 31_000, 63_000]);
    ends.shown(waiting({ until: end })); // drawn again after that (a progress event): still nothing
    vi.advanceTimersByTime(600_000);
    expect(read).toHaveBeenCalledTimes(6);
  });

  it("reads an end the reason names already passed by the page's clock, as one it waited for", () => {
    const read = vi.fn();
    const ends = readAtWaitEnd(read);
    ends.shown(waiting({ until: T - 2_000 }));
    vi.advanceTimersByTime(0);
    expect(read).toHaveBeenCalledTimes(1);
    ends.shown(waiting({ until: T - 2_000 }, { notBefore: T - 60_000 }));
    vi.advanceTimersByTime(2_000);
    expect(read).toHaveBeenCalledTimes(2);
    ends.shown({ stage: "queued", notBefore: T - 60_000 }); // a passed notBefore alone names no wait: nothing
    vi.advanceTimersByTime(600_000);
    expect(read).toHaveBeenCalledTimes(2);
  });

  it("reads an end that moves with the coordinator's clock (the page's behind) at growing gaps, not each second", () => {
    const read = vi.fn();
    const ends = readAtWaitEnd(read);
    const behind = 5_000;
    read.mockImplementation(() => ends.shown(waiting({ until: Date.now() + behind })));
    ends.shown(waiting({ until: T + behind }));
    vi.advanceTimersByTime(10 * 60_000);
    // At each end a second on: 6 s, then 2, 4, … s after the read before, up to a minute — 15 reads in 10 minutes,
    // where one each 6 s made 100.
    expect(read.mock.calls.length).toBeLessThanOrEqual(16);
    expect(read.mock.calls.length).toBeGreaterThanOrEqual(10);
    read.mockImplementation(() => ends.shown({ stage: "building" })); // the wait is over…
    vi.advanceTimersByTime(60_000);
    read.mockImplementation(() => {});
    const before = read.mock.calls.length;
    ends.shown(waiting({ until: Date.now() + 3_000 })); // …and the next end is read at its own time again
    vi.advanceTimersByTime(3_000 + END_SLACK_MS);
    expect(read.mock.calls.length).toBe(before + 1);
  });

  it("waits out an end further off than a timer takes, and stops when the page is left", () => {
    const read = vi.fn();
    const ends = readAtWaitEnd(read);
    const far = 40 * 24 * 3_600_000; // past 2^31 - 1 ms, which a browser's timer fires at once
    ends.shown(waiting({ until: T + far }));
    vi.advanceTimersByTime(far - 1_000);
    expect(read).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_000 + END_SLACK_MS);
    expect(read).toHaveBeenCalledTimes(1);
    ends.shown(waiting({ until: Date.now() + 5_000 }));
    ends.stop();
    vi.advanceTimersByTime(60_000);
    expect(read).toHaveBeenCalledTimes(1);
  });
});
