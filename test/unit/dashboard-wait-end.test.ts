// dashboard/wait-end: a job page reads a quiet waiting job once when the end its reason names has passed (a retry's
// backoff, an exclusion's end, a serial hold's stop bound, the job's notBefore) — once per end, not a poll; an end
// already passed arms nothing, and one further off than a browser's timer can wait is not read at once.
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
    ends.shown(waiting({ until: T + 60_000 })); // the read still says the end passed: nothing more
    vi.advanceTimersByTime(600_000);
    expect(read).toHaveBeenCalledTimes(1);
    ends.shown(waiting({ until: Date.now() + 10_000 })); // a new end
    vi.advanceTimersByTime(10_000 + END_SLACK_MS);
    expect(read).toHaveBeenCalledTimes(2);
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
