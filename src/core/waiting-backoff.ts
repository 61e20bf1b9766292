/**
 * @module core/waiting-backoff
 * The `retry_backoff` waiting reason: a failed attempt's retry waits for its backoff (`notBefore`), and — when every
 * factory that could run it is also kept from the job past that instant (core/waiting-fleet `excluded`: leases they
 * lost, or refusals) — what it waits for after it: "retrying after its backoff, at T" alone sent a reader into a
 * second wait, `excluded`, at T. Pure.
 */
import type { Job } from "./model.ts";
import { instantWords } from "./waiting-commands.ts";
import { keptWords, lossWordsOf } from "./waiting-excluded.ts";
import type { FleetCause } from "./waiting-fleet.ts";
import type { WaitingReason } from "./waiting-reason.ts";

/**
 * The reason of a queued job whose backoff (`backoff.until`, its `notBefore`, ms) is still ahead: its end, to the
 * second, and the exclusions that outlast it (each with its end, at most `max` named; detail `keptUntil`: the
 * earliest of theirs, ms). `backoff` is the detail as core/waiting writes it.
 */
export function backoffReason(
  job: Job,
  backoff: { until: number; attempt: number; maxAttempts: number },
  fleet: FleetCause,
  names: (list: ReadonlyArray<{ name: string }>) => string,
  max: number,
): WaitingReason {
  const detail = backoff;
  const notBefore = backoff.until;
  const message = `retrying after its backoff, at ${instantWords(notBefore)}`;
  if (fleet.code !== "excluded" || fleet.until <= notBefore) {
    return { code: "retry_backoff", message, since: job.queuedAt, detail };
  }
  const which = fleet.factories.length > 1 ? "those exclusions" : "that exclusion";
  const after =
    `; after it, it is kept from ${keptWords(fleet.factories, names, max)} (${lossWordsOf(fleet.factories)}: ` +
    `\`gigafactory requeue ${job.id}\` clears ${which})`;
  return {
    code: "retry_backoff",
    message: message + after,
    since: job.queuedAt,
    detail: { ...detail, keptUntil: fleet.until },
  };
}
