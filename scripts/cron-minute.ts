/**
 * @module scripts/cron-minute
 * One minute of the local runtime's cron: each trigger due at `minute` run through Miniflare's `scheduled`, and what
 * went wrong said as `✘ ERROR cron_failed` lines. Cloudflare records a failed run as the run's status in its cron
 * events; locally the operator has only the runtime's output, so a failed run must print a line of its own.
 *
 * Why a module: Miniflare answers a run whose handler (or its `waitUntil`) rejected with `outcome: "exception"`, it
 * does not throw — the local runtime once printed only on a throw, so every failed sweep (worker/reaper `cronSweep`
 * names the products it could not sweep) went unsaid. test/unit/cron-minute pins both ways a run can fail.
 */
import { errorLine } from "../src/shared/fixable-error.ts";

/** What this needs of Miniflare's worker: `scheduled` answers the run's outcome ("ok" when it succeeded). */
export interface CronWorker {
  scheduled(init: { cron: string; scheduledTime: Date }): Promise<{ outcome: string }>;
}

/** A cron trigger: its expression and whether it is due at a minute (core/cron `cronMatcher`). */
export interface CronTrigger {
  cron: string;
  due(minute: Date): boolean;
}

/**
 * Runs every trigger due at `minute` (UTC, on the minute), one after another, and answers the error lines to print:
 * one per run whose outcome is not "ok", one for a call that threw (the rest of that minute's triggers are skipped:
 * the runtime is going away or broken). `stopping()` is asked after each run: a run cut short by the runtime's own
 * stop is no failure to report.
 * @returns the `✘ ERROR cron_failed …` lines, in order (empty when every due run succeeded)
 */
export async function runCronMinute(
  worker: () => Promise<CronWorker>,
  triggers: readonly CronTrigger[],
  minute: Date,
  stopping: () => boolean,
): Promise<string[]> {
  const lines: string[] = [];
  const failed = (message: string) =>
    lines.push(errorLine({ code: "cron_failed", message, fix: "the next minute tries again" }));
  try {
    const w = await worker();
    for (const { cron } of triggers.filter((t) => t.due(minute))) {
      const { outcome } = await w.scheduled({ cron, scheduledTime: minute });
      if (outcome !== "ok" && !stopping())
        failed(`the cron run "${cron}" ended ${outcome}; the runtime's output above says why`);
    }
  } catch (err) {
    if (!stopping()) failed((err as Error).message); // disposing: the runtime is going away under the call
  }
  return lines;
}
