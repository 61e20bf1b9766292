/**
 * @module cli/request-interrupt
 * Ctrl-C (SIGINT) while a command's one request that makes or re-runs paid work is out — `batch submit`, `children`,
 * a job action on one id, `review approve|reject`, `dead-letters redrive`. cli/main's default ended the
 * process at once, saying nothing, so whether the work went in was left to guess. Here: the first Ctrl-C prints the
 * command's note and the answer is still awaited (bounded by --timeout, as every request); an answer is printed as
 * without Ctrl-C, then `✘ ERROR interrupted` (exit 130) says how to follow it; a failure after it is printed as its own
 * `✘ ERROR` line, then `✘ ERROR interrupted` saying whether the work may have gone in — none did when the coordinator
 * refused the request whole (a 4xx problem of its own) — and how to send it again safely. A second Ctrl-C ends at once
 * (cli/main).
 */
import { terminalText } from "../core/terminal-text.ts";
import { ApiError } from "../shared/http-client.ts";
import type { Ctx } from "./context.ts";
import { CliError, errorDocument, formatError, toCliError } from "./errors.ts";
import { lineOf } from "./read-answers-policy.ts";
import { EXIT_INTERRUPTED, listenForInterrupt } from "./submit-interrupt.ts";
import { TIMEOUT_FIX } from "./timeout-error.ts";

/**
 * Runs `send` (the request and the check of its answer) listening for Ctrl-C: the first prints `note` (one line, as
 * lineOf makes it, in the command's words) on stderr — under --json too: stdout holds only the document — and the answer is still awaited.
 * @returns `{answer, stopped}` — whether Ctrl-C came while it was out; `{failed}` — what `send` threw after a Ctrl-C
 * @throws what `send` throws when no Ctrl-C came, as without this guard
 */
export async function sendListening<T>(
  ctx: Ctx,
  note: string,
  send: () => Promise<T>,
): Promise<{ answer: T; stopped: boolean } | { failed: unknown }> {
  const interrupt = listenForInterrupt(ctx, () => ctx.io.stderr(`${terminalText(note)}\n`));
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
 * Ends a command whose answer came after Ctrl-C, its lines already printed as without it: `✘ ERROR interrupted:
 * message / fix` on stderr, and under --json the one document `{error, ...doc}` (errorDocument's `error`, then `doc`:
 * the answer as the command prints it without Ctrl-C).
 * @returns EXIT_INTERRUPTED (130)
 */
export function endAnswered(ctx: Ctx, message: string, fix: string, doc: object): number {
  const e = new CliError("interrupted", message, fix, EXIT_INTERRUPTED);
  ctx.io.stderr(`${terminalText(formatError(e))}\n`);
  // The answer's own `error` key, if it has one (its reads check only the fields they use), is not spread: it put the
  // coordinator's in place of `interrupted` (pass 45 review).
  const { error: _theirs, ...rest } = doc as Record<string, unknown>;
  if (ctx.json) ctx.emit({ ...errorDocument(e), ...rest });
  return EXIT_INTERRUPTED;
}

/** What an interrupted request's failure says: `refused` (and its fix) when none of it went in, else `unknown`. */
export interface FailureWords {
  /** Where the request was when Ctrl-C came: `stopped by Ctrl-C while the batch was on its way`. */
  stopped: string;
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
 * Ends a command whose request failed after Ctrl-C: the failure's own `✘ ERROR` line, then `✘ ERROR interrupted`
 * in `words` — refused whole (refusedWhole) or not known. Under --json the one document `{error, failure}`
 * (errorDocument's shape, each).
 * @returns EXIT_INTERRUPTED (130)
 */
export function endFailed(ctx: Ctx, err: unknown, words: FailureWords): number {
  const failure = toCliError(ctx.asTokenRefusal(err));
  // A timed-out write's own fix says where to look for what any write may have done; the interrupted line says it for
  // this command, and the two disagreed (a rotation sent to look at jobs: pass 45 review). Its bound's fix stays.
  const cause = failure.code === "timeout" ? new CliError("timeout", failure.message, TIMEOUT_FIX) : failure;
  const e = refusedWhole(err)
    ? new CliError(
        "interrupted",
        `${words.stopped}, and the coordinator refused it (${cause.code}): ${words.refused}`,
        `fix what its \`✘ ERROR ${cause.code}\` says, then ${words.again}`,
        EXIT_INTERRUPTED,
      )
    : new CliError(
        "interrupted",
        `${words.stopped}, and its answer was a failure (${cause.code}): ${words.unknown}`,
        words.unknownFix,
        EXIT_INTERRUPTED,
      );
  ctx.io.stderr(`${terminalText(lineOf(formatError(cause)))}\n`);
  ctx.io.stderr(`${terminalText(formatError(e))}\n`);
  if (ctx.json) ctx.emit({ ...errorDocument(e), failure: errorDocument(cause).error });
  return EXIT_INTERRUPTED;
}
