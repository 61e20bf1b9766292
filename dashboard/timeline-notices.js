/**
 * @module dashboard/timeline-notices
 * The job timeline's words about what it does not show (timeline.js): the rows and log lines its caps dropped, the
 * events retention purged (a seq gap), and which stage moves carry a result of their own.
 */

/**
 * The line above a timeline whose caps dropped its oldest rows or log lines, or "" when none were dropped.
 * @param {number} events rows dropped, a count ≥ 0
 * @param {number} lines log lines dropped, a count ≥ 0
 * @returns {string} e.g. "1,234 older events and 1 older log line not shown"
 */
export function droppedNotice(events, lines) {
  /** @param {number} n @param {string} what */
  const older = (n, what) => `${n.toLocaleString("en-US")} older ${what}${n === 1 ? "" : "s"}`;
  const parts = [events > 0 && older(events, "event"), lines > 0 && older(lines, "log line")].filter(Boolean);
  return parts.length ? `${parts.join(" and ")} not shown` : "";
}

/**
 * The row where a job's seqs jump (a FEED_GAP from feed.js): the events retention purged, so the timeline does not
 * silently start in the middle, or skip some.
 * @param {number} from first seq missing @param {number} to last seq missing, ≥ from
 * @returns {string} e.g. "events 1–40 are gone: retention purged them"
 */
export function gapNotice(from, to) {
  return from === to
    ? `event ${to.toLocaleString("en-US")} is gone: retention purged it`
    : `events ${from.toLocaleString("en-US")}–${to.toLocaleString("en-US")} are gone: retention purged them`;
}

/** Stages a job is ended in (or held in, failed): a move out of one made no run, so ended none. */
const ENDED = ["failed", "dead_letter", "cancelled"];

/**
 * Whether a `job.stage` move from `from` to `to` is one whose `result` is its own: a move into failed, dead_letter or
 * cancelled from a live stage, or into queued from a run (assigned, building: a retry after a failure). Events stored
 * before the coordinator sent only a move's own result carried the job's last result on every later move: attempt 2's
 * start read "· failure: engine exited with code 1: boom".
 * @param {unknown} from @param {unknown} to stages
 */
export function resultOfMove(from, to) {
  if (typeof to !== "string" || typeof from !== "string") return false;
  if (ENDED.includes(to)) return !ENDED.includes(from);
  return to === "queued" && (from === "assigned" || from === "building");
}
