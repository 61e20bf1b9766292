/**
 * @module durable-objects/coordinator/jobs/artifact-commit
 * ARTIFACT COMMIT (fenced) — contract:
 *   inputs: the uploader (a factory naming its lease epoch, or an operator), the
 *           pointer to bytes already streamed to their own R2 object, `now`.
 *   guard:  a factory must hold the job's live lease at that epoch (`fence()`),
 *           checked when the pointer is committed — after the bytes arrived, not
 *           when the upload began; an operator needs the job to exist.
 *   output: the pointer recorded in the job's JobFeed, and the pointer it replaced
 *           (its key doomed there: the feed's sweep deletes those bytes). Refused:
 *           `409 fenced` / `not_lease_holder`, or by the feed (`feed_purged`, the
 *           job's artifact limits, an abandoned upload), or `503 unavailable` when
 *           the feed did not answer within COMMIT_FEED_MS — nothing recorded (the
 *           caller abandons the upload: the feed deletes the new bytes).
 *
 * The check is in this coordinator (the single writer of leases) and the pointer
 * in another object (the JobFeed), so the two steps run with every other event to
 * the coordinator held off (`exclusively`): no lease can change between "still the
 * holder" and "pointer recorded". Artifacts are committed about twice per run, so
 * holding the product's coordinator for one JobFeed call is cheap — as long as the
 * feed answers: every feed call of the section is bounded (`commitDeadlines`).
 */
import { DomainError, failure, type Outcome } from "../../../core/errors.ts";
import { settledAt } from "../../../core/retention.ts";
import type { ArtifactUploader } from "../../../shared/coordinator-rpc.ts";
import { answeredWithin, UnansweredError } from "../../call-bound.ts";
import type { ArtifactPointer } from "../../feed/artifacts.ts";
import { fence } from "../dispatch/lease-ops.ts";
import type { Tx } from "../runtime/tx.ts";
import { requireJob } from "./rows.ts";

export type { ArtifactUploader };

export interface ArtifactCommit {
  pointer: ArtifactPointer;
  /** The pointer of the same name this one replaced, if it named other bytes; null otherwise. */
  replaced: ArtifactPointer | null;
}

/**
 * The commit-time guard. Throws FencedError / not_lease_holder / not_found; writes nothing.
 * @returns the job's `settledAt` for the JobFeed's own checks: its `updatedAt` (ms) if it is terminal, else null
 *   (a retention purge of a terminal job's feed refuses uploads to it: feed/purge `purgedRefusal`)
 */
export function checkUploader(tx: Tx, jobId: string, uploader: ArtifactUploader): number | null {
  const job =
    uploader.kind === "factory" ? fence(tx, jobId, uploader.factoryId, uploader.leaseEpoch) : requireJob(tx.sql, jobId);
  return settledAt(job);
}

/**
 * Run `fn` with every other event to this Durable Object (RPC, fetch, alarm,
 * WebSocket message) held off until it settles. Nothing is thrown inside the
 * block — a throw out of `blockConcurrencyWhile` resets the object — the error
 * is rethrown after it.
 */
export async function exclusively<T>(ctx: DurableObjectState, fn: () => Promise<T>): Promise<T> {
  // Assigned inside the callback, which TypeScript's narrowing cannot see: hence the cast.
  let settled = { ok: false, error: new Error("not run") } as { ok: true; value: T } | { ok: false; error: unknown };
  await ctx.blockConcurrencyWhile(async () => {
    try {
      settled = { ok: true, value: await fn() };
    } catch (error) {
      settled = { ok: false, error };
    }
  });
  if (!settled.ok) throw settled.error;
  return settled.value;
}

/**
 * How long an artifact commit's exclusive section waits for the job's feed in all (ms): the flush of the job's held
 * events, then the pointer's call. The section holds every other event to the coordinator, and the runtime resets an
 * object whose blockConcurrencyWhile runs past 30 s; its storage units take milliseconds, so 20 s leaves a third of it
 * spare. Far past any feed that answers (an 8 MiB append on a loaded box: seconds).
 */
export const COMMIT_FEED_MS = 20_000;

/**
 * Seconds an uploader whose commit ran out of time is told to wait (`Retry-After`): its feed held a call for seconds,
 * so it is loaded or stuck; an upload sent again at once would add to it, and its bytes go again whole.
 */
export const COMMIT_RETRY_AFTER_S = 5;

/**
 * The instants (ms since the epoch) a commit's section started at `start` (ms) must have its feed's answers by, given
 * its bound `ms` (COMMIT_FEED_MS): the flush of held events by half of it, so the pointer's call always has the other
 * half, and the pointer's call by the whole of it.
 */
export function commitDeadlines(start: number, ms: number): { flush: number; put: number } {
  return { flush: start + Math.floor(ms / 2), put: start + ms };
}

/** The refusal of a commit whose feed did not answer in time: `unavailable` (503), sent again after a wait. */
export function commitOutOfTime(p: ArtifactPointer): DomainError {
  return new DomainError(
    "unavailable",
    `job ${p.jobId}'s feed did not take the pointer of ${p.name} in time: nothing was recorded and its bytes are ` +
      "deleted; upload it again",
    { retryAfterSeconds: COMMIT_RETRY_AFTER_S },
  );
}

/**
 * The pointer's call to the job's feed, answered by `by` (ms since the epoch): the feed records `p` (its intent
 * consumed) and answers the pointer it replaced. Not answered by then: `unavailable` (`commitOutOfTime`), and the
 * feed, told `by`, refuses the call should it still arrive — nothing recorded, the upload given up there too.
 * @throws what the call throws (an RPC error): the caller abandons the upload, whose commit may have landed
 */
export async function putWithin(
  feed: ReturnType<Env["JOB_FEED"]["getByName"]>,
  p: ArtifactPointer,
  settled: number | null,
  by: number,
): Promise<Outcome<ArtifactCommit>> {
  const left = by - Date.now();
  if (left <= 0) return failure(commitOutOfTime(p));
  try {
    const call = feed.putArtifact(p, settled, by) as Promise<Outcome<ArtifactPointer | null>>;
    const put = await answeredWithin(call, left);
    if (!put.ok) return { ok: false, error: put.error };
    return { ok: true, value: { pointer: p, replaced: put.value } };
  } catch (err) {
    if (err instanceof UnansweredError) return failure(commitOutOfTime(p));
    throw err;
  }
}
