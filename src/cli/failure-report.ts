/**
 * @module cli/failure-report
 * How every failure the CLI reports is told, by cli/run's catch and by the commands that report one themselves (a
 * `batch submit --wait` read back that failed, a request failing after Ctrl-C: cli/request-interrupt): the thrown
 * value as its CliError — a cut-off token's 401 named as such, a 429 or 503's wait first in its fix (cli/retry-after)
 * — its `✘ ERROR` line and its --json error document, the tokens this run may send hidden in both by their value
 * before any shape is. Those commands formatted the failure themselves, without the wait, and with the shapes hidden
 * first: an echo of the Authorization in a JSON header dump had `Bearer` hidden up to the token's first quote, and
 * the rest of it printed.
 */
import { terminalText } from "../core/terminal-text.ts";
import { ApiError } from "../shared/http-client.ts";
import type { Ctx } from "./context.ts";
import { type CliError, errorDocument, formatError, toCliError } from "./errors.ts";
import { lineOf } from "./read-answers-policy.ts";
import { retryAfterOf, withRetryAfter } from "./retry-after.ts";

/** A failure as reported: its CliError, and the wait (whole s) a 429 or 503 named, if any. */
export interface Reported {
  error: CliError;
  wait: number | undefined;
}

/** What a failure is told through: the context's token refusal, Retry-After header and tokens (cli/context `Ctx`). */
export type ReportCtx = Pick<Ctx, "asTokenRefusal" | "io" | "tokens">;

/**
 * `err` as the CLI reports it: the coordinator's 401 of a cut-off token as `token_malformed` (Ctx `asTokenRefusal`),
 * told as `tell` tells it (default cli/errors `toCliError`; cli/run's names a refused field by its flag), and a 429
 * or 503's wait — its problem's `retryAfterSeconds`, else the answer's Retry-After — first in its fix.
 * `ctx` undefined (the command line was refused before a context was made): no token nor header to read.
 */
export function reportedFailure(
  ctx: ReportCtx | undefined,
  err: unknown,
  tell: (cause: unknown) => CliError = toCliError,
): Reported {
  const cause = ctx ? ctx.asTokenRefusal(err) : err;
  const wait = retryAfterOf(cause, (ctx?.io.now ?? Date.now)());
  const told = tell(cause);
  return { error: cause instanceof ApiError ? withRetryAfter(told, cause, wait) : told, wait };
}

/**
 * `e`'s `✘ ERROR` line as stderr takes it, with its line's end: the run's tokens hidden by value first (cli/errors
 * `formatError`), control characters shown, not obeyed. `server`: the text may quote a server's, whose line breaks
 * and bidi controls are drawn as sent (cli/read-answers-policy `lineOf`).
 */
export function failureLine(ctx: Pick<Ctx, "tokens">, e: CliError, server = true): string {
  const line = formatError(e, ctx.tokens());
  return `${terminalText(server ? lineOf(line) : line)}\n`;
}

/**
 * `e`'s --json error document `{ error: { code, message, fix, exitCode, retryAfterSeconds? } }`, the run's tokens
 * hidden by value first (cli/errors `errorDocument`); `retryAfterSeconds` when `wait` is given.
 */
export function failureDocument(
  ctx: Pick<Ctx, "tokens">,
  e: CliError,
  wait?: number,
): { error: ReturnType<typeof errorDocument>["error"] & { retryAfterSeconds?: number } } {
  const doc = errorDocument(e, ctx.tokens());
  return wait === undefined ? doc : { error: { ...doc.error, retryAfterSeconds: wait } };
}
