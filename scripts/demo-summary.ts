/**
 * @module scripts/demo-summary
 * What `npm start` says about the example jobs it submitted. The examples carry idempotencyKeys, so a second
 * `npm start` on the same state gets the existing jobs back (`Idempotent-Replayed: true`): those are "already
 * present", not "submitted". The `try:` line names a command that works on a job as it stands: `watch` of the first
 * job still moving (queued … building); else, for the first one that waits for an operator, the command that moves it
 * on — `watch` of a job in review, testing or failed exits 3 at once, saying only that it waits (on a rerun the review
 * example is in review, the first thing named); else `watch` of the first job, which replays its ended feed.
 */

export interface DemoJob {
  id: string;
  title: string;
  stage: string;
  /** The answer was a replay: the job existed before this run. */
  replayed: boolean;
}

/** Stages after which `watch` has nothing live to show (core/model TERMINAL_STAGES). */
const ENDED = new Set(["shipped", "dead_letter", "cancelled"]);

/**
 * The command that moves a job in an operator stage on (core/waiting OPERATOR_STAGES; as `watch`'s exit-3 line
 * names it): the demo's admin token may approve a review, ship a tested build, requeue a failure.
 */
const OPERATOR_NEXT: Record<string, (id: string) => string> = {
  review: (id) => `review approve ${id}`,
  testing: (id) => `ship ${id}`,
  failed: (id) => `requeue ${id}`,
};

/**
 * The summary lines (`submitted:` / `already present:`), the job id the hint names, and the hint itself: the words
 * after `npx gigafactory` (`watch job_1`, `review approve job_2`).
 */
export function demoSummary(jobs: readonly DemoJob[]): {
  lines: string[];
  watchId: string | undefined;
  next: string;
} {
  const made = jobs.filter((j) => !j.replayed).map((j) => j.id);
  const present = jobs.filter((j) => j.replayed).map((j) => `${j.id} (${j.stage})`);
  const lines = [
    ...(made.length ? [`  submitted:   ${made.join(", ")}`] : []),
    ...(present.length ? [`  already present (from an earlier run): ${present.join(", ")}`] : []),
  ];
  const moving = jobs.find((j) => !ENDED.has(j.stage) && OPERATOR_NEXT[j.stage] === undefined);
  const waiting = moving ? undefined : jobs.find((j) => OPERATOR_NEXT[j.stage] !== undefined);
  if (waiting) return { lines, watchId: waiting.id, next: OPERATOR_NEXT[waiting.stage]!(waiting.id) };
  const id = (moving ?? jobs[0])?.id;
  return { lines, watchId: id, next: `watch ${id ?? "<job-id>"}` };
}
