/**
 * @module cli/commands/job-actions-interrupt
 * A job action stopped by Ctrl-C (SIGINT) or SIGTERM (cli/interruption), on several ids
 * (cli/commands/job-actions-many) or on one while its request is out. It ended the process at once, saying nothing:
 * of 56 ids piped to `ship -`, which were shipped and which not was left to guess; of one `requeue ID`, whether a
 * paid run was queued. Now, on several, the first signal tries no further job, waits for the answers already on their
 * way (each bounded by --timeout) and ends with exit 130 (143 for SIGTERM): each job's line as without it, the tally
 * so far (`✔ 8 shipped, ✘ 1 refused, 3 not tried`), the not-tried ids by name, and `✘ ERROR interrupted` — under
 * --json one document `{error, tried, notTried}`. On one, it waits for the answer (cli/request-interrupt, as `batch
 * submit`), prints it as without the signal and ends `✘ ERROR interrupted` — under --json the job with `error`; a
 * failure after it says whether the job may have been acted on and to read it before acting again — `{error,
 * failure}`. A second signal ends at once (cli/main), as `submit`'s (cli/submit-interrupt).
 */
import { counted } from "../../core/counted.ts";
import { terminalText } from "../../core/terminal-text.ts";
import type { JobAction } from "../../shared/http-client.ts";
import type { Ctx } from "../context.ts";
import { CliError } from "../errors.ts";
import { failureDocument, failureLine } from "../failure-report.ts";
import type { Interruption } from "../interruption.ts";
import { inlined } from "../read-answers-ops.ts";
import { lineOf } from "../read-answers-policy.ts";
import { endAnswered, endFailed } from "../request-interrupt.ts";

/**
 * The line the first signal (`how`) prints on stderr: no further job is tried, and which are waited for
 * (`inFlight`: their answers say whether they were acted on), or that none is. `done`: the action's past tense
 * (`shipped`).
 */
export function stoppingActionsNote(how: Interruption, done: string, inFlight: readonly string[]): string {
  const waiting =
    inFlight.length === 0
      ? "none is on its way"
      : `waiting for the answers for the ${counted(inFlight.length, "job")} on their way (${inFlight.join(", ")}); ` +
        `${how.again} ends at once, not knowing whether ${inFlight.length === 1 ? "it was" : "those were"} ${done}`;
  return lineOf(`${how.by}: no more jobs are tried; ${waiting}`);
}

/**
 * Ends a run interrupted by `how` after its job lines and tally were printed: `not tried (N): ids` and the `✘ ERROR
 * interrupted` line on stderr; under --json stdout's one document `{error, tried, notTried}` instead of the per-id
 * array — `tried` the entries of the jobs tried (as without a signal, in the order given), `notTried` the ids never
 * sent.
 * @returns the signal's exit code (130, 143)
 */
export function reportActionsInterrupted<E>(
  ctx: Ctx,
  how: Interruption,
  action: JobAction,
  tried: readonly E[],
  notTried: readonly string[],
): number {
  const total = tried.length + notTried.length;
  const again =
    notTried.length === 0
      ? "every job was tried before it: see each one's line above"
      : `run \`gigafactory ${action}\` again on the ${counted(notTried.length, "job")} not tried ` +
        `(${ctx.json ? "notTried" : "listed as `not tried` above"}); the others' fates are ${ctx.json ? "in `tried`" : "above"}`;
  const e = new CliError(
    "interrupted",
    `stopped by ${how.by} after ${tried.length} of ${counted(total, "job")} ${tried.length === 1 ? "was" : "were"} tried`,
    again,
    how.exitCode,
  );
  if (!ctx.json && notTried.length > 0) {
    ctx.io.stderr(`${terminalText(lineOf(`not tried (${notTried.length}): ${notTried.join(", ")}`))}\n`);
  }
  ctx.io.stderr(failureLine(ctx, e, false));
  if (ctx.json) ctx.emit({ ...failureDocument(ctx, e), tried, notTried });
  return how.exitCode;
}

/** The action's past tense, for the tally (`54 shipped`) and for a signal on one job (`whether it was shipped`). */
export const DONE: Record<JobAction, string> = {
  requeue: "requeued",
  cancel: "cancelled",
  ship: "shipped",
  approve: "approved",
  reject: "rejected",
};

/** The action as a noun, for a signal on one job: `the shipping of job J is on its way`. */
const ACT: Record<JobAction, string> = {
  requeue: "requeue",
  cancel: "cancellation",
  ship: "shipping",
  approve: "approval",
  reject: "rejection",
};

/** Where the action on one job was when the signal came, after `stopped by SIGNAL `. */
const duringOne = (action: JobAction, id: string) => inlined`while the ${ACT[action]} of job ${id} was on its way`;

/**
 * The line the first signal (`how`) prints on stderr during `action` on one job `id` (`requeue ID`, `review approve
 * ID`): its answer is waited for.
 */
export function stoppingActionNote(action: JobAction, id: string): (how: Interruption) => string {
  const done = DONE[action];
  return (how) =>
    lineOf(
      `${how.by}: the ${ACT[action]} of job ${id} is on its way; waiting for its answer, which decides whether it ` +
        `was ${done}; ${how.again} ends at once, not knowing whether it was ${done}`,
    );
}

/**
 * Ends `action` on one job whose answer came after the signal `how`, its `✔` line already printed as without it:
 * `✘ ERROR interrupted` saying the stage `job` is now in; under --json the one document, `doc` (the answer as printed
 * without a signal: the job, or `review`'s outcome) with `error`.
 * @returns the signal's exit code (130, 143)
 */
export function actionAnswered(
  ctx: Ctx,
  how: Interruption,
  action: JobAction,
  job: { id: string; stage: string },
  doc: object = job,
): number {
  return endAnswered(
    ctx,
    how,
    {
      during: duringOne(action, job.id),
      came: inlined`job ${job.id} is now ${job.stage}`,
      fix: inlined`nothing to send again: read it with \`gigafactory job ${job.id}\``,
    },
    doc,
  );
}

/**
 * Ends `action` on one job `id` whose request failed after the signal `how`: the failure's `✘ ERROR` line, then
 * `✘ ERROR interrupted` — not acted on when the coordinator refused it, else it may have been: read its stage before
 * running `command` (`requeue`, `review approve`) again — a second requeue of a job that ran again meanwhile starts
 * another paid run. Under --json `{error, failure}`.
 * @returns the signal's exit code (130, 143)
 */
export function actionFailed(
  ctx: Ctx,
  how: Interruption,
  err: unknown,
  action: JobAction,
  id: string,
  command: string = action,
): number {
  return endFailed(ctx, how, err, {
    during: duringOne(action, id),
    refused: inlined`job ${id} was not ${DONE[action]}`,
    again: "run the command again",
    unknown: inlined`job ${id} may or may not have been ${DONE[action]}`,
    unknownFix: inlined`read its stage with \`gigafactory job ${id}\` before running \`gigafactory ${command} ${id}\` again`,
  });
}
