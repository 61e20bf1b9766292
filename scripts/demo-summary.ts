/**
 * @module scripts/demo-summary
 * What `npm start` says about the example jobs it submitted. The examples carry idempotencyKeys, so a second
 * `npm start` on the same state gets the existing jobs back (`Idempotent-Replayed: true`): those are "already
 * present", not "submitted". The `watch` hint names a job that still has something to show — the first one not
 * yet in a terminal stage — rather than one that shipped the last time the demo ran.
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

/** The summary lines (`submitted:` / `already present:`) and the job id the `watch` hint should name. */
export function demoSummary(jobs: readonly DemoJob[]): { lines: string[]; watchId: string | undefined } {
  const made = jobs.filter((j) => !j.replayed).map((j) => j.id);
  const present = jobs.filter((j) => j.replayed).map((j) => `${j.id} (${j.stage})`);
  const lines = [
    ...(made.length ? [`  submitted:   ${made.join(", ")}`] : []),
    ...(present.length ? [`  already present (from an earlier run): ${present.join(", ")}`] : []),
  ];
  const live = jobs.find((j) => !ENDED.has(j.stage));
  return { lines, watchId: (live ?? jobs[0])?.id };
}
