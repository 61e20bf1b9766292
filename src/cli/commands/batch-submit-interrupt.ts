/**
 * @module cli/commands/batch-submit-interrupt
 * Ctrl-C (SIGINT) or SIGTERM (cli/interruption) while `gigafactory batch submit`'s one `POST …/jobs:batch` is out.
 * It ended the process at once, saying nothing: whether up to 10,000 jobs went in was left to guess, and a batch sent
 * again on that guess could make them twice. Now the first signal says the batch is on its way and waits for its
 * answer (bounded by --timeout, as every request); the answer is printed as without it, --wait is not started, and
 * the command ends `✘ ERROR interrupted` (exit 130 for Ctrl-C, 143 for SIGTERM) saying how to follow the batch —
 * under --json one document, the API's answer with `error`. A POST that failed after the signal ends so too, after
 * the failure's own `✘ ERROR` line, saying whether the batch may have gone in and how to send it again safely — under
 * --json `{error, failure}`. A second signal ends at once (cli/main), as `submit`'s does (cli/submit-interrupt). The
 * listening and the two endings are cli/request-interrupt's, shared with `children` and a job action on one id; here
 * are the batch's words.
 */
import { counted } from "../../core/counted.ts";
import type { BatchAccepted } from "../../shared/api-batches.ts";
import type { Ctx } from "../context.ts";
import type { Interruption } from "../interruption.ts";
import { inlined } from "../read-answers-ops.ts";
import { lineOf } from "../read-answers-policy.ts";
import { endAnswered, endFailed } from "../request-interrupt.ts";
import { RESEND, SEE_BATCHES } from "./batch-submit-text.ts";

/** Where the batch was when the signal came, after `stopped by SIGNAL `. */
const DURING = "while the batch was on its way";

/**
 * The line the first signal (`how`) prints on stderr: the batch of `items` is on its way and its answer is waited for
 * (in `submit`'s words, cli/submit-interrupt `stoppingNote`).
 */
export function batchStoppingNote(items: number): (how: Interruption) => string {
  return (how) =>
    lineOf(
      `${how.by}: the batch is on its way (${counted(items, "item")} in one request); waiting for its answer, which ` +
        `decides whether its jobs went in; ${how.again} ends at once, not knowing whether they went in`,
    );
}

/**
 * Ends a batch whose answer came after the signal `how`, its lines already printed as without it: `✘ ERROR
 * interrupted` on stderr — how many of `files` items were accepted, whether `--wait` (`wait`) was skipped, how to
 * follow the batch — and under --json the one document, the API's `answer` with `error` (errorDocument's).
 * @returns the signal's exit code (130, 143)
 */
export function reportAnswerInterrupted(
  ctx: Ctx,
  how: Interruption,
  answer: BatchAccepted,
  files: number,
  wait: boolean,
): number {
  const refused = answer.rejected.length > 0 ? `, ${answer.rejected.length} refused` : "";
  const skipped = wait ? " (--wait not started)" : "";
  const fixes = [
    ...(answer.accepted > 0
      ? [inlined`the accepted items are queued: follow them with \`gigafactory batch ${answer.batchId}\``]
      : []),
    ...(answer.rejected.length > 0 ? [`for the refused: ${RESEND}`] : []),
  ];
  const came = `${answer.accepted} of ${counted(files, "item")} accepted${refused}${skipped}`;
  return endAnswered(ctx, how, { during: DURING, came, fix: fixes.join("; ") }, answer);
}

/**
 * Ends a batch whose POST failed after the signal `how`: the failure's own `✘ ERROR` line, then `✘ ERROR
 * interrupted` saying whether the batch may have gone in — none did when the coordinator refused it whole (a 4xx
 * problem of its own) — and how to send it again safely (`key`: the --key given, under which a resend makes no job
 * twice). Under --json the one document `{error, failure}` (errorDocument's shape, each).
 * @returns the signal's exit code (130, 143)
 */
export function reportFailureInterrupted(ctx: Ctx, how: Interruption, err: unknown, key: string | undefined): number {
  const again =
    key !== undefined
      ? `send the same files again with the same --key ${key}: items already accepted make no job twice`
      : SEE_BATCHES;
  return endFailed(ctx, how, err, {
    during: DURING,
    refused: "none of it went in",
    again: "send the batch again",
    unknown: "the batch may or may not have gone in",
    unknownFix: again,
  });
}
