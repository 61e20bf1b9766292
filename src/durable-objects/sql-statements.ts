/**
 * @module durable-objects/sql-statements
 * How both Durable Objects run SQLite statements so that workerd's statement cache keeps working.
 *
 * `ctx.storage.sql.exec` hands back a cursor that holds its compiled statement until the cursor is read to its
 * end or garbage-collected. While it is held, the next `exec` of the same SQL text cannot reuse the cached
 * statement and compiles a one-off copy (workerd `SqlStorage::exec`, "this CachedStatement is currently in
 * use"); and a SELECT cursor left part-read keeps its SQLite b-tree cursors open, which every later cursor
 * open walks and every write to that table saves (SQLite `btreeCursor`, `saveCursorsOnList`). In the throughput
 * profile (bench/README, issue 12) the two cost 10 % of the runtime's CPU. So a statement that returns no rows
 * goes through `execute`, which ends its cursor at once, and a read is always drained (`toArray`, `one`,
 * `raw()` spread) — `test/unit/sql-cursors.test.ts` holds every Durable Object module to that.
 */

/**
 * Run one statement that returns no rows (INSERT, UPDATE, DELETE, DDL) and end its cursor, so the cached
 * statement is free for the next call. Returns the rows it wrote (SQLite's count, 0 for DDL).
 * Throws what `exec` throws (SQLite errors: constraint, syntax).
 */
export function execute(sql: SqlStorage, query: string, ...bindings: unknown[]): number {
  const cursor = sql.exec(query, ...bindings);
  cursor.toArray(); // a statement without rows is done after its first step: this only releases it
  return cursor.rowsWritten;
}
