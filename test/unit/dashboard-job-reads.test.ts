// dashboard/job-reads: when the job page reads what. A burst of feed events reads each panel once (250 ms gathered);
// what an event changed while the job's first read is out is owed and read once that read is in — kept however many
// events asked, each panel once; a page left reads nothing after, not what it owed nor what a late read asks for.
// Each feed event reads the panels it changes: a gap every one, a lease the job and its runs, a review the reviews.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { FEED_GAP } from "../../dashboard/feed.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { everyRead, readSchedule, readsForEvent } from "../../dashboard/job-reads.js";

type Loader = () => Promise<void>;
const NAMES = ["job", "runs", "explain", "artifacts", "dag", "review"] as const;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

/** Loaders that count their calls by name. */
function loaders() {
  const calls: string[] = [];
  const r = Object.fromEntries(NAMES.map((n) => [n, async () => void calls.push(n)] as [string, Loader])) as Record<
    (typeof NAMES)[number],
    Loader
  >;
  const named = (fns: Loader[]) => fns.map((fn) => NAMES.find((n) => r[n] === fn));
  return { r, calls, named };
}

describe("dashboard/job-reads", () => {
  it("reads each panel once for a burst, and what was owed once the job's first read is in", () => {
    const { r, calls } = loaders();
    const reads = readSchedule();
    for (let i = 0; i < 50; i++) reads.read(r.job, r.runs); // fifty progress-like events before the first read
    vi.advanceTimersByTime(1_000);
    expect(calls).toEqual([]); // owed
    reads.firstRead();
    vi.advanceTimersByTime(250);
    expect(calls.sort()).toEqual(["job", "runs"]);
    reads.read(r.runs);
    reads.soon(r.runs);
    vi.advanceTimersByTime(250);
    expect(calls.filter((c) => c === "runs")).toHaveLength(2);
  });

  it("reads nothing once the page is left: not what it owed, not what a late answer asks for", () => {
    const { r, calls } = loaders();
    const reads = readSchedule();
    reads.read(r.job, r.runs);
    reads.soon(r.artifacts);
    reads.stop();
    reads.firstRead(); // the job's first read answering after the page was left
    reads.soon(r.dag);
    vi.advanceTimersByTime(10_000);
    expect(calls).toEqual([]);
  });

  it("names the panels each feed event changed", () => {
    const { r, named } = loaders();
    const of = (type: string) => named(readsForEvent(type, r));
    expect(of(FEED_GAP)).toEqual(named(everyRead(r)));
    expect(new Set(of(FEED_GAP))).toEqual(new Set(NAMES));
    expect(of("job.stage")).toEqual(["job", "runs", "explain", "dag", "review"]);
    expect(of("cancel")).toEqual(["job", "runs", "explain", "dag"]);
    expect(of("lease.expired")).toEqual(["job", "runs"]);
    expect(of("progress")).toEqual(["job"]);
    expect(of("job.children")).toEqual(["dag"]);
    expect(of("job.review")).toEqual(["review"]);
    expect(of("log")).toEqual([]);
  });
});
