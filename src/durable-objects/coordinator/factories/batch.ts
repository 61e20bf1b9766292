/**
 * @module durable-objects/coordinator/factories/batch
 * The `batch` frame (shared/protocol): several lease frames applied in one unit, each fenced on its own epoch and
 * isolated from the others in a savepoint, answered with one result per frame in order.
 *
 * BATCH — contract:
 *   inputs: the factory id; the batch's lease frames in order (validated at the boundary: ≤ MAX_BATCH_FRAMES, each
 *           frame's own schema); the TTL the connection's hello asked for; `tx.now` (one instant for the batch).
 *   guard:  each frame on its own — fenced on its own lease epoch at commit time, exactly as it would be alone
 *           (factories/frames `applyFactoryFrame`, the single-frame path, is what applies it).
 *   output: `BatchResult`, one entry per frame in order: `{ok: true, result}` with what its `ack` would carry, or
 *           `{ok: false, code, message}` with what its `error` would. A refused frame (fenced, not_lease_holder,
 *           not_found, illegal_transition, …) changes nothing and takes nothing of the others with it — but what a
 *           refusal keeps (runtime/kept-refusal `KeptRefusal`: the spend a fenced report carried, the expiry of a lease the
 *           fence found lapsed) is kept, as alone: in savepoints of its own, at the batch's `now`, before the next
 *           frame (which sees it: a later frame of that job finds it requeued, as it would alone).
 *
 * Why savepoints: the batch is one unit (one transaction, one dispatch pass and one outbox ship after it), but a
 * DomainError inside a unit rolls the whole unit back. Each frame therefore runs in a nested transaction
 * (runtime/units `nested`): its refusal undoes its own writes only. It also gets a Tx object of its own (same
 * `now`), so what per-unit caches keyed by the Tx (policies/lesson-rows, policies/breakers) saw in a frame that
 * was undone cannot leak into the next. An error that is not a DomainError is a crash, not an answer: it
 * propagates and the whole batch rolls back, as a single frame would.
 *
 * The lease expiries its frames decide (a lapsed lease a fence found, whose refusal keeps it; a `stopped` frame's)
 * go on the holder's record once, at the batch's end (runtime/tx `expiries`): one write of the factory's record per
 * unit, not one per frame — each frame's and each keep's counted only once it stands.
 *
 * Frames of one batch see each other's effects in order: a `complete` after an `accept` of the same job finds it
 * building; a second `complete` of the same lease is the idempotent resend (`duplicate: true`), as it is alone.
 */
import { DomainError } from "../../../core/errors.ts";
import type { BatchedFrame, BatchItemResult, BatchResult } from "../../../shared/protocol.ts";
import { KeptRefusal, runKeeps } from "../runtime/kept-refusal.ts";
import { addCounts, type Tx } from "../runtime/tx.ts";
import { applyFactoryFrame } from "./frames.ts";
import { noteLeaseExpiry } from "./registry.ts";

/** Runs `fn` as a part of the current unit that can fail alone (runtime/units `nested`). */
export type Isolate = <T>(fn: () => T) => T;

export function applyBatch(
  tx: Tx,
  factoryId: string,
  frames: readonly BatchedFrame[],
  ttlSeconds: number | undefined,
  isolate: Isolate,
): BatchResult {
  const results: BatchItemResult[] = [];
  const expiries = new Map<string, number>(); // holder → the lease expiries of the frames (and keeps) that stand
  for (const frame of frames) {
    const own: Tx = { sql: tx.sql, productId: tx.productId, now: tx.now, expiries: new Map() };
    try {
      results.push({ ok: true, result: isolate(() => applyFactoryFrame(own, factoryId, frame, ttlSeconds)) });
      addCounts(expiries, own.expiries as Map<string, number>);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      if (err instanceof KeptRefusal) runKeeps(err, tx.sql, tx.productId, tx.now, isolate, expiries);
      results.push({ ok: false, code: err.code, message: err.message });
    }
  }
  for (const [holder, count] of expiries) noteLeaseExpiry(tx, holder, count);
  return { results };
}
