/**
 * @module cli/commands/batch-submit-interrupt
 * Ctrl-C (SIGINT) while `gigafactory batch submit`'s one `POST …/jobs:batch` is out. It ended the process at once,
 * saying nothing: whether up to 10,000 jobs went in was left to guess, and a batch sent again on that guess could make
 * them twice. Now the first Ctrl-C says the batch is on its way and waits for its answer (bounded by --timeout, as
 * every request); the answer is printed as without Ctrl-C, --wait is not started, and the command ends
 * `✘ ERROR interrupted` (exit 130) saying how to follow the batch — under --json one document, the API's answer with
 * `error`. A POST that failed after the Ctrl-C ends so too, after the failure's own `✘ ERROR` line, saying whether the
 * batch may have gone in and how to send it again safely — under --json `{error, failure}`. A second Ctrl-C ends at
 * once (cli/main), as `submit`'s does (cli/submit-interrupt).
 */
import { counted } from "../../core/counted.ts";
import { terminalText } from "../../core/terminal-text.ts";
import type { BatchAccepted } from "../../shared/api-batches.ts";
import { ApiError } from "../../shared/http-client.ts";
import type { Ctx } from "../context.ts";
import { CliError, errorDocument, formatError, toCliError } from "../errors.ts";
import { inlined } from "../read-answers-ops.ts";
import { lineOf } from "../read-answers-policy.ts";
import { EXIT_INTERRUPTED, listenForInterrupt } from "../submit-interrupt.ts";
import { RESEND, SEE_BATCHES } from "./batch-submit-text.ts";

/** What the Ctrl-C's error starts with: where the batch was when it came. */
const STOPPED = "stopped by Ctrl-C while the batch was on its way";

/**
 * The line the first Ctrl-C prints on stderr: the batch of `items` is on its way and its answer is waited for (in
 * `submit`'s words, cli/submit-interrupt `stoppingNote`).
 */
export function batchStoppingNote(items: number): string {
  return lineOf(
    `Ctrl-C: the batch is on its way (${counted(items, "item")} in one request); waiting for its answer, which ` +
      "decides whether its jobs went in; Ctrl-C again ends at once, not knowing whether they went in",
  );
}

/**
 * Runs `send` (the POST and the check of its answer) listening for Ctrl-C: the first prints batchStoppingNote on
 * stderr (under --json too: stdout holds only the document) and the answer is still awaited. `items`: how many the
 * batch carries.
 * @returns `{answer, stopped}` — whether Ctrl-C came while it was out; `{failed}` — what `send` threw after a Ctrl-C
 * @throws what `send` throws when no Ctrl-C came, as without this guard
 */
export async function sendListening<T>(
  ctx: Ctx,
  items: number,
  send: () => Promise<T>,
): Promise<{ answer: T; stopped: boolean } | { failed: unknown }> {
  const interrupt = listenForInterrupt(ctx, () => ctx.io.stderr(`${terminalText(batchStoppingNote(items))}\n`));
  try {
    const answer = await send();
    return { answer, stopped: interrupt.stopped() };
  } catch (err) {
    if (!interrupt.stopped()) throw err;
    return { failed: err };
  } finally {
    interrupt.off();
  }
}

/**
 * Ends a batch whose answer came after Ctrl-C, its lines already printed as without it: `✘ ERROR interrupted` on
 * stderr — how many of `files` items were accepted, whether `--wait` (`wait`) was skipped, how to follow the batch —
 * and under --json the one document, the API's `answer` with `error` (errorDocument's).
 * @returns EXIT_INTERRUPTED
 */
export function reportAnswerInterrupted(ctx: Ctx, answer: BatchAccepted, files: number, wait: boolean): number {
  const refused = answer.rejected.length > 0 ? `, ${answer.rejected.length} refused` : "";
  const skipped = wait ? " (--wait not started)" : "";
  const fixes = [
    ...(answer.accepted > 0
      ? [inlined`the accepted items are queued: follow them with \`gigafactory batch ${answer.batchId}\``]
      : []),
    ...(answer.rejected.length > 0 ? [`for the refused: ${RESEND}`] : []),
  ];
  const e = new CliError(
    "interrupted",
    `${STOPPED}; its answer came: ${answer.accepted} of ${counted(files, "item")} accepted${refused}${skipped}`,
    fixes.join("; "),
    EXIT_INTERRUPTED,
  );
  ctx.io.stderr(`${terminalText(formatError(e))}\n`);
  if (ctx.json) ctx.emit({ ...errorDocument(e), ...answer });
  return EXIT_INTERRUPTED;
}

/**
 * Ends a batch whose POST failed after Ctrl-C: the failure's own `✘ ERROR` line, then `✘ ERROR interrupted` saying
 * whether the batch may have gone in — none did when the coordinator refused it whole (a 4xx problem of its own) —
 * and how to send it again safely (`key`: the --key given, under which a resend makes no job twice). Under --json the
 * one document `{error, failure}` (errorDocument's shape, each).
 * @returns EXIT_INTERRUPTED
 */
export function reportFailureInterrupted(ctx: Ctx, err: unknown, key: string | undefined): number {
  const cause = toCliError(ctx.asTokenRefusal(err));
  // The coordinator's own refusal of the whole request (its problem, a 4xx) comes before anything is queued
  // (worker/routes/bulk); any other failure — a timeout, a 503, no answer, another server's — says nothing of that.
  const whole = err instanceof ApiError && err.fromCoordinator && err.status >= 400 && err.status < 500;
  const again =
    key !== undefined
      ? `send the same files again with the same --key ${key}: items already accepted make no job twice`
      : SEE_BATCHES;
  const e = whole
    ? new CliError(
        "interrupted",
        `${STOPPED}, and the coordinator refused it (${cause.code}): none of it went in`,
        `fix what its \`✘ ERROR ${cause.code}\` says, then send the batch again`,
        EXIT_INTERRUPTED,
      )
    : new CliError(
        "interrupted",
        `${STOPPED}, and its answer was a failure (${cause.code}): the batch may or may not have gone in`,
        again,
        EXIT_INTERRUPTED,
      );
  ctx.io.stderr(`${terminalText(lineOf(formatError(cause)))}\n`);
  ctx.io.stderr(`${terminalText(formatError(e))}\n`);
  if (ctx.json) ctx.emit({ ...errorDocument(e), failure: errorDocument(cause).error });
  return EXIT_INTERRUPTED;
}
