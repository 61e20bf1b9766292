/**
 * @module durable-objects/coordinator/policies/breaker-reads
 * What a unit already knows of the `breakers` table (policies/breakers): the keys of the breakers not closed, as its
 * route context read them, while no breaker has been written since. A job assigned on that context then needs no
 * read of its own breaker to know it is closed — no half-open trial to note — which was one statement a job on the
 * W2 path (bench/README, forty-third pass). Kept per unit (its `tx`), dropped with it; a write anywhere in the table
 * makes every unit's knowledge of it stale, so a rollback can only leave it more cautious.
 */
import type { Tx } from "../runtime/tx.ts";

/** A `breakers` row as stored. */
export interface BreakerRow extends Record<string, SqlStorageValue> {
  factory_id: string;
  engine: string;
  consecutive_failures: number;
  open_until: number | null;
  cool_down_s: number | null;
  trial_job_id: string | null;
  trial_epoch: number | null;
  reset_at: number | null;
}

/** Breaker writes per SQL handle, in this instance: a knowledge taken before the last one is stale. */
const writes = new WeakMap<SqlStorage, number>();
/** Per unit: the not-closed breakers' `${factoryId}:${engine}` keys it read, and the write count then. */
const known = new WeakMap<Tx, { keys: ReadonlySet<string>; writes: number }>();

/** A breaker row was written (or deleted) through `sql`. */
export function breakerWritten(sql: SqlStorage): void {
  writes.set(sql, (writes.get(sql) ?? 0) + 1);
}

/** `rows`: every breaker not closed, as `tx` just read them (policies/breakers `notClosedBreakers`). */
export function noteNotClosed(tx: Tx, rows: readonly BreakerRow[]): void {
  known.set(tx, { keys: new Set(rows.map((r) => `${r.factory_id}:${r.engine}`)), writes: writes.get(tx.sql) ?? 0 });
}

/**
 * Whether `tx` knows, without a read, that the breaker of `factoryId` × `engine` is closed: its unit read every
 * breaker not closed, that one was not among them, and no breaker was written since. False: not known — read it.
 */
export function knownClosed(tx: Tx, factoryId: string, engine: string): boolean {
  const k = known.get(tx);
  return k !== undefined && k.writes === (writes.get(tx.sql) ?? 0) && !k.keys.has(`${factoryId}:${engine}`);
}
