/**
 * @module durable-objects/coordinator/dispatch/frame-bound
 * A JOB TOO LARGE TO HAND OUT — contract:
 *   inputs: a queued job dispatch (push or claim) is about to assign; `now`.
 *   guard:  its document's JSON fits MAX_ASSIGNED_JOB_BYTES (shared/protocol-assignment: one seat's share of the
 *           largest frame the agent accepts, less room for the lease and the run's own notes).
 *   output: when it does not, the job ends `failed` here, not retried (`retryable: false`), the reason in its
 *           `lastResult` and its feed's stage event, its dependents re-evaluated; it is not assigned.
 *   why:    the `assign` carrying it would pass the agent's `maxPayload`: the agent's socket closes (1009), it
 *           reconnects, and the `welcome` listing the lease closes it again — the factory lost to every job, and
 *           the job requeued at each lease expiry to do the same on the next factory.
 * Submit refuses such a job (jobs/submit, 413 payload_too_large); this catches one stored before it did, or grown
 * past the bound since (feedback, reviews, its last result).
 * A job is measured once per dispatch that reaches it, without serializing it when the stored document it was read
 * from proves it fits (`fitsByStoredText`); else one JSON.stringify, the byte count only past a third of the bound
 * (core/bytes `fitsUtf8`).
 */
import { fitsUtf8, utf8Bytes } from "../../../core/bytes.ts";
import type { Job, RunResult } from "../../../core/model.ts";
import { MAX_ASSIGNED_JOB_BYTES } from "../../../shared/protocol.ts";
import { settled } from "../dag/dependents.ts";
import { loadedDocLength, moveJob } from "../jobs/rows.ts";
import type { Tx } from "../runtime/tx.ts";

/**
 * Whether `job` may be assigned; if not, it has been ended `failed` in this unit (contract above).
 * @returns true to go on assigning it
 */
export function assignable(tx: Tx, job: Job): boolean {
  if (fitsByStoredText(loadedDocLength(job))) return true;
  const text = JSON.stringify(job);
  if (fitsUtf8(text, MAX_ASSIGNED_JOB_BYTES)) return true;
  const lastResult: RunResult = {
    outcome: "failure",
    message:
      `not dispatched: the job is ${utf8Bytes(text)} bytes of JSON, over the ${MAX_ASSIGNED_JOB_BYTES} bytes one ` +
      "assignment may carry to a factory " +
      "(control characters in its body count six bytes each) — shorten its body and submit it again",
    retryable: false,
  };
  settled(tx, moveJob(tx, job, "failed", { lastResult }));
  return false;
}

/** At most this many bytes of UTF-8 per UTF-16 unit of a JSON text, once parsed and serialized again (below). */
export const RESERIALIZED_BYTES_PER_UNIT = 6;

/**
 * Whether a job parsed from a stored JSON document of `units` UTF-16 units (jobs/rows `loadedDocLength`) surely
 * fits MAX_ASSIGNED_JOB_BYTES — true decides it without serializing the job (one JSON.stringify of the whole job
 * per assignment, issue 12); false (or no length known) leaves it to the exact measure.
 * Why 6 bytes a unit bound `JSON.stringify(JSON.parse(text))` whoever wrote the text (saveJob, an older coordinator,
 * SQLite's json_set): token by token, whitespace goes, punctuation and literals stay as they are, a string's unit
 * becomes at most 6 bytes (`\u0001`, a lone surrogate `\udc00`; 3 for any other BMP unit, 4 for a pair's two), an
 * escape (2 or 6 units) at most 6, and a number's shortest round-trip form at most 5.25 bytes a unit (`1e20`, 4
 * units, is written as its 21 digits). test/unit/assign-text-bound holds it over arbitrary JSON texts.
 */
export function fitsByStoredText(units: number | undefined): boolean {
  return units !== undefined && units * RESERIALIZED_BYTES_PER_UNIT <= MAX_ASSIGNED_JOB_BYTES;
}
