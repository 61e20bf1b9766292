// wait-end.js — when a quiet job's waiting reason ends by time alone, and one read of the job then. A retry's backoff,
// an exclusion's end or a serial hold's stop bound passes with no event, no queue version and no fleet move: the job
// page said "retrying after its backoff, at 15:02" for good after 15:02 when nothing else happened to the job.

/** The longest wait a browser's timer takes (2^31 - 1 ms); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How long past the end the read waits, in ms: the coordinator's clock may run a little behind the page's. */
export const END_SLACK_MS = 1000;

/**
 * The earliest instant (epoch ms) after `now` at which `job`'s waiting reason ends by time alone — its `detail.until`
 * (a retry's backoff, an exclusion's end), `detail.stopping.until` (a serial hold's stop bound) or the job's
 * `notBefore`; undefined when none is ahead.
 * @param {any} job a job as the page read it @param {number} now epoch ms
 * @returns {number | undefined}
 */
export function waitEnd(job, now) {
  const detail = job?.waitingReason?.detail ?? {};
  const ends = [detail.until, detail.stopping?.until, job?.notBefore].filter(
    (t) => typeof t === "number" && Number.isFinite(t) && t > now,
  );
  return ends.length > 0 ? Math.min(...ends) : undefined;
}

/**
 * One call of `read` once the wait of the job last shown ends (END_SLACK_MS after it, by the page's clock: Date.now and
 * setTimeout). `shown(job)` after each drawing of the job: the same end stays armed (one read per end, not a poll; a
 * read that still shows an end passed arms nothing), a new one replaces it. `stop()` when the page is left.
 * @param {() => void} read
 * @returns {{ shown: (job: any) => void, stop: () => void }}
 */
export function readAtWaitEnd(read) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @type {number | undefined} */
  let armedFor;
  const stop = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  /** @param {any} job */
  const shown = (job) => {
    const now = Date.now();
    const end = waitEnd(job, now);
    if (end === armedFor) return;
    // Past the end, inside the slack, the read is still due: a drawing meanwhile (an action's answer) keeps it.
    if (end === undefined && timer !== undefined && armedFor !== undefined && armedFor <= now) return;
    stop();
    armedFor = end;
    if (end === undefined) return;
    const tick = () => {
      const left = end + END_SLACK_MS - Date.now();
      if (left > 0) timer = setTimeout(tick, Math.min(left, MAX_TIMER_MS));
      else {
        timer = undefined;
        read();
      }
    };
    tick();
  };
  return { shown, stop };
}
