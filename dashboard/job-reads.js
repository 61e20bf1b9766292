// job-reads.js — when the job page reads what: one read per panel for a burst of feed events, the reads owed while
// the job's first read is out, and which panels each feed event changes (job-detail.js wires them to the feed).

import { FEED_GAP } from "./feed.js";

/** How long a burst of events is gathered into one read per panel, in ms. */
const COALESCE_MS = 250;

/**
 * The page's reads: `soon(...loaders)` reads each once COALESCE_MS on (a loader already waiting is not asked twice);
 * `read(...loaders)` does so too once the job's first read is in (`firstRead()`), and until then keeps them owed;
 * `stop()` when the page is left: none is read after, whoever asks.
 * @returns {{ soon: (...fns: Array<() => Promise<void>>) => void, read: (...fns: Array<() => Promise<void>>) => void,
 *   firstRead: () => void, stop: () => void }}
 */
export function readSchedule() {
  /** @type {Map<() => Promise<void>, ReturnType<typeof setTimeout>>} */
  const pending = new Map();
  /**
   * What feed events asked to read before the job's first read answered. They were dropped, but each panel reads on
   * its own at the start (runs, explain, the tree…): one whose read answered before the event stayed stale for good.
   * @type {Array<() => Promise<void>>}
   */
  const owed = [];
  let loaded = false;
  /**
   * The page was left: nothing more is read. A read still out then (the job's first, answering late) flushed what it
   * owed, and the left job's runs and job were read behind the next page.
   */
  let stopped = false;
  /** @param {...(() => Promise<void>)} loaders */
  const soon = (...loaders) => {
    if (stopped) return;
    for (const fn of loaders) {
      if (pending.has(fn)) continue;
      pending.set(
        fn,
        setTimeout(() => {
          pending.delete(fn);
          void fn();
        }, COALESCE_MS),
      );
    }
  };
  return {
    soon,
    read: (...fns) => (loaded ? soon(...fns) : owed.push(...fns)),
    firstRead: () => {
      loaded = true;
      soon(...owed.splice(0)); // what the feed said changed while the first read was out
    },
    stop: () => {
      stopped = true;
      owed.length = 0;
      for (const t of pending.values()) clearTimeout(t);
    },
  };
}

/**
 * @typedef {{ job: () => Promise<void>, runs: () => Promise<void>, explain: () => Promise<void>,
 *   artifacts: () => Promise<void>, dag: () => Promise<void>, review: () => Promise<void> }} JobLoaders
 */

/** Everything the page reads, for what the feed cannot say it changed. @param {JobLoaders} r */
export const everyRead = (r) => [r.job, r.runs, r.explain, r.artifacts, r.dag, r.review];

/**
 * What a feed event of `type` changed, to read once the job's first read is in (artifact events are read at once:
 * job-detail.js). A gap (events retention purged, never replayed) reads every panel.
 * @param {string} type @param {JobLoaders} r
 * @returns {Array<() => Promise<void>>}
 */
export function readsForEvent(type, r) {
  if (type === FEED_GAP) return everyRead(r);
  const out = [];
  if (type === "job.stage" || type === "job.action" || type === "cancel") out.push(r.job, r.runs, r.explain, r.dag);
  else if (type === "job.children") out.push(r.dag);
  else if (type.startsWith("lease.")) out.push(r.job, r.runs);
  else if (type === "progress" || type === "checkpoint") out.push(r.job);
  if (type === "job.review" || type === "job.stage") out.push(r.review);
  return out;
}
