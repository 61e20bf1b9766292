// wait-end.js — when a quiet job's waiting reason ends by time alone, and one read of the job then. A retry's backoff,
// an exclusion's end or a serial hold's stop bound passes with no event, no queue version and no fleet move: the job
// page said "retrying after its backoff, at 15:02" for good after 15:02 when nothing else happened to the job.

/** The longest wait a browser's timer takes (2^31 - 1 ms); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How long past the end the read waits, in ms: the coordinator's clock may run a little behind the page's. */
export const END_SLACK_MS = 1000;

/** The least time between a read at a wait's end and the next, in ms, doubled per such read in a row up to a minute. */
const FIRST_GAP_MS = 2000;
const MAX_GAP_MS = 60_000;
/** How many times an end still named once passed is read again: 2 + 4 + … + 32 s covers a minute of clock skew. */
const AGAIN_MAX = 5;

/** @param {unknown} t @returns {t is number} */
const instant = (t) => typeof t === "number" && Number.isFinite(t) && t > 0;

/**
 * The ends a job's waiting reason names (`detail.until` — a retry's backoff, an exclusion's end —, and
 * `detail.stopping.until` — a serial hold's stop bound), as epoch ms, passed or not.
 * @param {any} job @returns {number[]}
 */
export const reasonEnds = (job) => {
  const detail = job?.waitingReason?.detail ?? {};
  return [detail.until, detail.stopping?.until].filter(instant);
};

/**
 * The earliest instant (epoch ms) after `now` at which `job`'s waiting reason ends by time alone — its `detail.until`
 * (a retry's backoff, an exclusion's end), `detail.stopping.until` (a serial hold's stop bound) or the job's
 * `notBefore`; undefined when none is ahead.
 * @param {any} job a job as the page read it @param {number} now epoch ms
 * @returns {number | undefined}
 */
export function waitEnd(job, now) {
  const ends = [...reasonEnds(job), job?.notBefore].filter((t) => instant(t) && t > now);
  return ends.length > 0 ? Math.min(...ends) : undefined;
}

/**
 * One call of `read` once the wait of the job last shown ends (END_SLACK_MS after it, by the page's clock: Date.now and
 * setTimeout). `shown(job)` after each drawing of the job: the same end stays armed (one read per end, not a poll), a
 * new one replaces it, and a read due inside the slack is kept whatever is drawn meanwhile. The page's clock is not
 * the coordinator's: ahead of it, the read at the end still names it (passed by the page's clock) — it is read again
 * 2, 4, 8, 16 and 32 s on while named, then no more; so is an end the reason names already passed. Behind it, an end
 * the coordinator draws from its own clock at each read is always ahead: reads at ends in a row come at least 2 s
 * apart, doubled per read up to a minute, until a drawing names no wait. `stop()` when the page is left.
 * @param {() => void} read
 * @returns {{ shown: (job: any) => void, stop: () => void }}
 */
export function readAtWaitEnd(read) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** The end the timer is for, and the instant (epoch ms) it reads at. @type {{ end: number, at: number } | undefined} */
  let armed;
  /** The end the last read was for, and how many reads it had. */
  let readFor = 0;
  let readsOfEnd = 0;
  /** Reads at an end since a drawing named no wait, and when the last was (epoch ms). */
  let inRow = 0;
  let lastRead = 0;
  const stop = () => {
    clearTimeout(timer);
    timer = undefined;
    armed = undefined;
  };
  /** The end to read for and when, or undefined. @param {any} job @param {number} now */
  const due = (job, now) => {
    const ahead = waitEnd(job, now);
    // A passed end the reason names: read again after a read for it, read once when never read (the clock ahead).
    const passed = reasonEnds(job).filter((t) => t <= now && (t !== readFor || readsOfEnd <= AGAIN_MAX));
    const end = Math.min(ahead ?? Number.POSITIVE_INFINITY, ...passed);
    if (end === Number.POSITIVE_INFINITY) return undefined;
    const gap = inRow > 0 ? lastRead + Math.min(FIRST_GAP_MS * 2 ** (inRow - 1), MAX_GAP_MS) : 0;
    return { end, at: Math.max(end + END_SLACK_MS, gap) };
  };
  /** @param {any} job */
  const shown = (job) => {
    const now = Date.now();
    // Past the end, inside the slack, the read is still due: a drawing meanwhile (an action's answer) keeps it.
    if (timer !== undefined && armed !== undefined && armed.end <= now) return;
    const next = due(job, now);
    if (next === undefined) inRow = 0;
    if (next?.at === armed?.at && next?.end === armed?.end) return;
    stop();
    if (next === undefined) return;
    armed = next;
    const tick = () => {
      const left = next.at - Date.now();
      if (left > 0) timer = setTimeout(tick, Math.min(left, MAX_TIMER_MS));
      else {
        timer = undefined;
        armed = undefined;
        readsOfEnd = next.end === readFor ? readsOfEnd + 1 : 1;
        readFor = next.end;
        inRow++;
        lastRead = Date.now();
        read();
      }
    };
    timer = setTimeout(tick, Math.min(Math.max(next.at - now, 0), MAX_TIMER_MS));
  };
  return { shown, stop };
}
