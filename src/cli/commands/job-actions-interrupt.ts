/**
 * @module cli/commands/job-actions-interrupt
 * A job action on several ids (cli/commands/job-actions-many) stopped by Ctrl-C (SIGINT). It ended the process at
 * once, saying nothing: of 56 ids piped to `ship -`, which were shipped and which not was left to guess. Now the first
 * Ctrl-C tries no further job, waits for the answers already on their way (each bounded by --timeout) and ends with
 * exit 130: each job's line as without Ctrl-C, the tally so far (`✔ 8 shipped, ✘ 1 refused, 3 not tried`), the
 * not-tried ids by name, and `✘ ERROR interrupted` — under --json one document `{error, tried, notTried}`. A second
 * Ctrl-C ends at once (cli/main), as `submit`'s (cli/submit-interrupt).
 */
import { counted } from "../../core/counted.ts";
import { terminalText } from "../../core/terminal-text.ts";
import type { JobAction } from "../../shared/http-client.ts";
import type { Ctx } from "../context.ts";
import { CliError, errorDocument, formatError } from "../errors.ts";
import { lineOf } from "../read-answers-policy.ts";
import { EXIT_INTERRUPTED } from "../submit-interrupt.ts";

/**
 * The line the first Ctrl-C prints on stderr: no further job is tried, and which are waited for (`inFlight`: their
 * answers say whether they were acted on), or that none is. `done`: the action's past tense (`shipped`).
 */
export function stoppingActionsNote(done: string, inFlight: readonly string[]): string {
  const waiting =
    inFlight.length === 0
      ? "none is on its way"
      : `waiting for the answers for the ${counted(inFlight.length, "job")} on their way (${inFlight.join(", ")}); ` +
        `Ctrl-C again ends at once, not knowing whether ${inFlight.length === 1 ? "it was" : "those were"} ${done}`;
  return lineOf(`Ctrl-C: no more jobs are tried; ${waiting}`);
}

/**
 * Ends an interrupted run after its job lines and tally were printed: `not tried (N): ids` and the `✘ ERROR
 * interrupted` line on stderr; under --json stdout's one document `{error, tried, notTried}` instead of the per-id
 * array — `tried` the entries of the jobs tried (as without Ctrl-C, in the order given), `notTried` the ids never sent.
 * @returns EXIT_INTERRUPTED (130)
 */
export function reportActionsInterrupted<E>(
  ctx: Ctx,
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
    `stopped by Ctrl-C after ${tried.length} of ${counted(total, "job")} ${tried.length === 1 ? "was" : "were"} tried`,
    again,
    EXIT_INTERRUPTED,
  );
  if (!ctx.json && notTried.length > 0) {
    ctx.io.stderr(`${terminalText(lineOf(`not tried (${notTried.length}): ${notTried.join(", ")}`))}\n`);
  }
  ctx.io.stderr(`${terminalText(formatError(e))}\n`);
  if (ctx.json) ctx.emit({ ...errorDocument(e), tried, notTried });
  return EXIT_INTERRUPTED;
}
