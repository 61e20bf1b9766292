/**
 * @module cli/feed-stream
 * What one answer of a job's live feed says of itself (cli/job-feed reads it): whether it is an event stream at
 * all, and why the feed ended it — the comment it wrote last.
 */

import { counted } from "../core/counted.ts";
import { foreignCharset, mediaTypeOf } from "../shared/foreign-answer.ts";
import { ApiError } from "../shared/http-client.ts";
import { CliError, toCliError } from "./errors.ts";

/** How one connection's read ended; `{ why }`: the feed ended the stream saying why (its last comment). */
export type ReadOutcome = "stopped" | "ended" | "broken" | "silent" | { why: string };

/** Characters of the feed's closing comment quoted in a reconnect note: its reasons are one short sentence. */
const MAX_WHY_CHARS = 200;

/**
 * Why the feed ended a stream: the comment it wrote last (feed/sse `end`: a reader too far behind, a purge, a
 * revoked token), unless that was only the stream's opening line or a keep-alive. Without it a watch cut off for
 * reading too slowly said only "the feed closed", as if the server had failed.
 */
export function closingReason(comment: string | undefined): ReadOutcome {
  if (comment === undefined || comment === "keep-alive" || comment.startsWith("job feed, resuming after")) {
    return "ended";
  }
  const why = comment.trim();
  if (why === "") return "ended";
  return { why: why.length > MAX_WHY_CHARS ? `${why.slice(0, MAX_WHY_CHARS)}…` : why };
}

/**
 * A 2xx that is not an event stream (a proxy's page, another service on the port) never will be one: reconnecting
 * only repeats it for minutes of backoff. Throws `bad_response` (a CliError) at once.
 */
export function notAnEventStream(res: Response): void {
  const type = res.headers.get("content-type") ?? "";
  // The whole media type (a prefix took text/event-stream-x), in UTF-8, which an event stream always is: one declared
  // in another charset is no coordinator's, and its text would be read as other characters than were sent.
  const charset = foreignCharset(type);
  if (mediaTypeOf(type) === "text/event-stream" && charset === undefined) return;
  res.body?.cancel().catch(() => {});
  const what = charset === undefined ? "not an event stream" : "not an event stream in UTF-8";
  throw new CliError(
    "bad_response",
    `the job feed answered ${type ? `"${type.slice(0, 60)}"` : "with no content type"}, ${what}`,
    "check that --url / GIGAFACTORY_URL points at a Gigafactory coordinator, not a proxy or another service",
  );
}

/**
 * Why a watch gave up after `tries` failures in a row, with the way to resume where it stopped (`--after last`): a
 * coordinator gone for good ended a watch with the bare `unreachable … / check --url …`, and a watch started again
 * without --after printed every event from the first. `lastError`: the last try's failure; a refusal (a 5xx, a 429)
 * is rethrown as it is, since its Retry-After is read from it (cli/retry-after); none: the feed answered each time
 * and delivered nothing (`reason`: how the last stream ended).
 */
export function feedGaveUp(jobId: string, lastError: unknown, reason: string, tries: number, last: number): unknown {
  if (lastError instanceof ApiError) return lastError;
  const again = `then watch again with --after ${last}`;
  if (lastError === undefined) {
    return new CliError(
      "unavailable",
      `the job feed of ${jobId} answered but delivered no event ${counted(tries, "time")} in a row (last: ${reason})`,
      `check the coordinator (\`gigafactory health\`) and any proxy in between, ${again}`,
    );
  }
  const e = toCliError(lastError);
  return new CliError(
    e.code,
    `${e.message} (${counted(tries, "try", "tries")} in a row: the watch gave up)`,
    `${e.fix}, ${again}`,
    e.exitCode,
  );
}
