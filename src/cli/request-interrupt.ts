/**
 * @module cli/request-interrupt
 * Ctrl-C (SIGINT) or SIGTERM (cli/interruption) while a command's one request that makes or re-runs paid work is out
 * — `batch submit`, `children`, a job action on one id, `review approve|reject`, `dead-letters redrive`, and the
 * secret-making ones (commands/secret-interrupt). cli/main's default ended the process at once, saying nothing, so
 * whether the work went in was left to guess. Here: the first signal prints the command's note and the answer is
 * still awaited (bounded by --timeout, as every request); an answer is printed as without it, then `✘ ERROR
 * interrupted: stopped by SIGNAL …` (exit 130 for Ctrl-C, 143 for SIGTERM) says how to follow it; a failure after it
 * is printed as its own `✘ ERROR` line, then `✘ ERROR interrupted` saying whether the work may have gone in — none
 * did when the coordinator refused the request whole (a 4xx problem of its own) — and how to send it again safely. A
 * second signal ends at once (cli/main).
 */
import { terminalText } from "../core/terminal-text.ts";
import { ApiError } from "../shared/http-client.ts";
import type { Ctx } from "./context.ts";
import { CliError } from "./errors.ts";
import { failureDocument, failureLine, reportedFailure } from "./failure-report.ts";
import { type Interruption, listenForInterrupt } from "./interruption.ts";
import { TIMEOUT_FIX } from "./timeout-error.ts";

/**
 * Runs `send` (the request and the check of its answer) listening for Ctrl-C and SIGTERM: the first prints
 * `note(how)` (one line, as lineOf makes it, in the command's words, naming the signal) on stderr — under --json too:
 * stdout holds only the document — and the answer is still awaited.
 * @returns `{answer, stopped}` — the signal that came while it was out (undefined: none); `{failed, stopped}` — what
 * `send` threw after one
 * @throws what `send` throws when no signal came, as without this guard
 */
export async function sendListening<T>(
  ctx: Ctx,
  note: (how: Interruption) => string,
  send: () => Promise<T>,
): Promise<{ answer: T; stopped: Interruption | undefined } | { failed: unknown; stopped: Interruption }> {
  const interrupt = listenForInterrupt(ctx, (how) => ctx.io.stderr(`${terminalText(note(how))}\n`));
  try {
    const answer = await send();
    return { answer, stopped: interrupt.stopped() };
  } catch (err) {
    const stopped = interrupt.stopped();
    if (!stopped) throw err;
    return { failed: err, stopped };
  } finally {
    interrupt.off();
  }
}

/**
 * Ends a command whose answer came after the signal `how`, its lines already printed as without it: `✘ ERROR
 * interrupted: stopped by SIGNAL <during>; its answer came: <came> / fix` on stderr (`during`: where the request was,
 * `while the batch was on its way`), and under --json the one document `{error, ...doc}` (errorDocument's `error`,
 * then `doc`: the answer as the command prints it without a signal).
 * @returns the signal's exit code (`how.exitCode`: 130, 143)
 */
export function endAnswered(
  ctx: Ctx,
  how: Interruption,
  answered: { during: string; came: string; fix: string },
  doc: object,
): number {
  const message = `stopped by ${how.by} ${answered.during}; its answer came: ${answered.came}`;
  const e = new CliError("interrupted", message, answered.fix, how.exitCode);
  ctx.io.stderr(failureLine(ctx, e, false));
  // The answer's own `error` key, if it has one (its reads check only the fields they use), is not spread: it put the
  // coordinator's in place of `interrupted` (pass 45 review).
  const { error: _theirs, ...rest } = doc as Record<string, unknown>;
  if (ctx.json) ctx.emit({ ...failureDocument(ctx, e), ...rest });
  return how.exitCode;
}

/** What an interrupted request's failure says: `refused` (and its fix) when none of it went in, else `unknown`. */
export interface FailureWords {
  /** Where the request was when the signal came, after `stopped by SIGNAL `: `while the batch was on its way`. */
  during: string;
  /** After `, and the coordinator refused it (CODE): ` — that nothing was made (`none of it went in`). */
  refused: string;
  /** The fix of a refusal, after `fix what its \`✘ ERROR CODE\` says, then `: `send the batch again`. */
  again: string;
  /** After `, and its answer was a failure (CODE): ` — that it may or may not have gone in. */
  unknown: string;
  /** The fix then: how to find out, or how to send it again making nothing twice. */
  unknownFix: string;
}

/**
 * Whether `err` is the coordinator's own refusal of the whole request (its problem, a 4xx): the routes refuse before
 * anything is made; any other failure — a timeout, a 503, no answer, another server's — says nothing of that.
 */
export function refusedWhole(err: unknown): boolean {
  return err instanceof ApiError && err.fromCoordinator && err.status >= 400 && err.status < 500;
}

/**
 * Ends a command whose request failed after the signal `how`: the failure's own `✘ ERROR` line, then `✘ ERROR
 * interrupted` in `words` — refused whole (refusedWhole) or not known. Under --json the one document
 * `{error, failure}` (errorDocument's shape, each).
 * @returns the signal's exit code (`how.exitCode`: 130, 143)
 */
export function endFailed(ctx: Ctx, how: Interruption, err: unknown, words: FailureWords): number {
  // Told as cli/run tells a failure (cli/failure-report): a 429 or 503's wait first in its fix, tokens hidden.
  const { error: failure, wait } = reportedFailure(ctx, err);
  // A timed-out write's own fix says where to look for what any write may have done; the interrupted line says it for
  // this command, and the two disagreed (a rotation sent to look at jobs: pass 45 review). Its bound's fix stays.
  const cause = failure.code === "timeout" ? new CliError("timeout", failure.message, TIMEOUT_FIX) : failure;
  const stopped = `stopped by ${how.by} ${words.during}`;
  const e = refusedWhole(err)
    ? new CliError(
        "interrupted",
        `${stopped}, and the coordinator refused it (${cause.code}): ${words.refused}`,
        `fix what its \`✘ ERROR ${cause.code}\` says, then ${words.again}`,
        how.exitCode,
      )
    : new CliError(
        "interrupted",
        `${stopped}, and its answer was a failure (${cause.code}): ${words.unknown}`,
        words.unknownFix,
        how.exitCode,
      );
  ctx.io.stderr(failureLine(ctx, cause));
  ctx.io.stderr(failureLine(ctx, e, false));
  if (ctx.json) ctx.emit({ ...failureDocument(ctx, e), failure: failureDocument(ctx, cause, wait).error });
  return how.exitCode;
}
