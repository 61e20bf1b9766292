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
 *           job's artifact limits, an abandoned upload), nothing recorded (the
 *           caller abandons the upload: the feed deletes the new bytes).
 *
 * The check is in this coordinator (the single writer of leases) and the pointer
 * in another object (the JobFeed), so the two steps run with every other event to
 * the coordinator held off (`exclusively`): no lease can change between "still the
 * holder" and "pointer recorded". Artifacts are committed about twice per run, so
 * holding the product's coordinator for one JobFeed call is cheap.
 */
import { settledAt } from "../../../core/retention.ts";
import type { ArtifactUploader } from "../../../shared/coordinator-rpc.ts";
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
