/**
 * @module dashboard/waiting-shown
 * Which waiting reason the job page's "Why is it waiting?" panel (waiting.js `waitingDetail`) shows after each
 * answer about the job: a read's, or the one kept across an action's answer, which carries none.
 */

/** Stages a job never waits in again (core/model TERMINAL_STAGES), and those it runs in once held (LEASED_STAGES). */
const ENDED = ["shipped", "dead_letter", "cancelled"];
const LEASED = ["assigned", "building"];

/**
 * What the "Why is it waiting?" panel shows after an answer about the job: the reason, the stage it was read at, and
 * whether the job has moved since (`stale`). A read (GET …/jobs/{id}) carries `waitingReason` — null when the job does
 * not wait — and that is shown. An action's or a review's answer (answers.js JOB_ACTED) carries none: drawn as is, the
 * panel vanished until the next read (~250 ms) drew it again, a flicker on every action. Such an answer keeps the
 * reason shown, unless its own stage says the job waits for nothing (core/waiting `runsOrEnded`: ended, or held by a
 * factory); kept across a move to another stage, it is `stale` until a read replaces it.
 * @param {{ reason: any, stage: string } | null} shown what the panel shows now (null before the first answer)
 * @param {{ stage: string, holderFactoryId?: string | null, waitingReason?: any }} job the answer's job
 * @returns {{ reason: any, stage: string, stale: boolean }}
 */
export function reasonShown(shown, job) {
  if (Object.hasOwn(job, "waitingReason")) return { reason: job.waitingReason ?? null, stage: job.stage, stale: false };
  const runsOrEnded = ENDED.includes(job.stage) || (LEASED.includes(job.stage) && Boolean(job.holderFactoryId));
  if (runsOrEnded || !shown?.reason) return { reason: null, stage: job.stage, stale: false };
  return { reason: shown.reason, stage: shown.stage, stale: shown.stage !== job.stage };
}
