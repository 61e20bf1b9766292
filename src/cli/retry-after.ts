/**
 * @module cli/retry-after
 * When a refusal says to come back — a 429 or 503 carrying `Retry-After` (delay-seconds or an HTTP-date) or the
 * coordinator's problem `retryAfterSeconds` (worker/problem: an overloaded or restarting coordinator, the watcher cap)
 * — the `✘ ERROR` line says when, and the --json error document carries it as `retryAfterSeconds` for a script to
 * sleep on. It said neither: an overloaded coordinator's 503 read "send the same request again" (at once), and a rate
 * limit in front of the coordinator (a gateway's 429, no Gigafactory problem code) read "check --url".
 * The header is each refusal's own (shared/http-transport ApiError `retryAfter`): it was the last 429 or 503 the run's
 * client had seen (a fetch wrapper noted each), so among answers in flight together (`ship ID…`, `submit FILE…`) a
 * proxy's 503 that named no wait was told another job's 60 s.
 */
import { retryAfterSeconds } from "../core/backoff.ts";
import { ApiError } from "../shared/http-client.ts";
import { CliError } from "./errors.ts";

/** One day: a longer wait is no hint a person or a script acts on, and is shown as it is not. */
const MAX_WAIT_S = 86_400;

/** The statuses whose `Retry-After` says when to come back (RFC 9110 §10.2.3: 503, and 429 by RFC 6585). */
const WAITS = new Set([429, 503]);

/**
 * The wait `err` names, whole s from `now` (ms): its problem's `retryAfterSeconds` (the coordinator's own problem only:
 * another server's JSON is not read for it), else its own answer's Retry-After; undefined for any other failure, or a
 * wait past a day or not a number.
 */
export function retryAfterOf(err: unknown, now: number): number | undefined {
  if (!(err instanceof ApiError) || !WAITS.has(err.status)) return undefined;
  const ours = err.fromCoordinator && typeof err.body === "object" && err.body !== null;
  const body = ours ? (err.body as Record<string, unknown>) : {};
  const said =
    typeof body.retryAfterSeconds === "number" ? body.retryAfterSeconds : retryAfterSeconds(err.retryAfter, now);
  return said !== undefined && Number.isFinite(said) && said >= 0 && said <= MAX_WAIT_S ? Math.ceil(said) : undefined;
}

/**
 * `e` (the report of `err`, a 429 or 503) with when to try again first in its fix. A 429 the coordinator did not write
 * (not its problem+json, whatever code it names: a gateway's `{"code": "rate_limited"}` too) is a rate limit in front
 * of it, not a wrong URL: said so instead of "check --url".
 */
export function withRetryAfter(e: CliError, err: ApiError, seconds: number | undefined): CliError {
  const { status } = err;
  const when = seconds === undefined ? "later" : `in ${seconds} s (the answer's Retry-After)`;
  if (status === 429 && !err.fromCoordinator) {
    const fix = `a proxy or gateway in front of the coordinator limits the rate of requests: try again ${when}, and space out what a script sends`;
    return new CliError(e.code, e.message, fix, e.exitCode);
  }
  if (seconds === undefined || !WAITS.has(status)) return e;
  return new CliError(e.code, e.message, `try again in ${seconds} s (the answer's Retry-After); ${e.fix}`, e.exitCode);
}
