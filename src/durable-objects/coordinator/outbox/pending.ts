/**
 * @module durable-objects/coordinator/outbox/pending
 * Whether the outbox holds anything, asked after every unit (runtime/composition) and by every delivery loop; and
 * whether a write put records in it, asked after every write outside a unit (runtime/units `transact`).
 */

/**
 * Handles whose outbox had a record written and none deleted since: it cannot be empty, so `hasPending` need not
 * ask SQLite (it was asked after every unit, 8 % of the statements a job costs). Writers mark it (`notePending`);
 * deletions and rolled-back units (runtime/units) forget it, and forgetting is always safe.
 */
const surelyPending = new WeakMap<SqlStorage, true>();
/** Records written per handle, ever: how runtime/units sees that a write outside a unit has something to ship. */
const written = new WeakMap<SqlStorage, number>();

/** A record was written to the outbox (records.ts, outbox/history-groups, outbox/webhook-records). */
export function notePending(sql: SqlStorage): void {
  surelyPending.set(sql, true);
  written.set(sql, (written.get(sql) ?? 0) + 1);
}

/**
 * How many records were written to the outbox through this handle so far (never decreases; a write rolled back
 * still counted — the shipping it asks for then finds nothing more, which is harmless).
 */
export function outboxWrites(sql: SqlStorage): number {
  return written.get(sql) ?? 0;
}

/** Records were deleted, or a write may have been rolled back: the next `hasPending` asks SQLite. */
export function forgetPending(sql: SqlStorage): void {
  surelyPending.delete(sql);
}

/**
 * Whether anything waits to be shipped: known in memory after a write, else an existence check (not COUNT(*): a
 * count scans the whole backlog — the bench showed it taking 29 % of the coordinator's time once it had grown).
 */
export function hasPending(sql: SqlStorage): boolean {
  if (surelyPending.has(sql)) return true;
  const pending = sql.exec("SELECT 1 FROM outbox LIMIT 1").toArray().length > 0;
  if (pending) surelyPending.set(sql, true);
  return pending;
}
