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

const limited = new Map<string, Map<number, string>>();

/**
 * `template` with its `{limit}` written as the literal `limit`: one SQL text per distinct limit, each cached by
 * workerd like any other. Why not `LIMIT ?`: SQLite plans with a bound LIMIT's value, so binding one marks the
 * statement expired and EVERY run re-prepares it — +8 µs a run in the local runtime (measured in workerd:
 * 18.8 against 9.7 µs for an 8-row index read), and `sqlite3Reprepare` was 4.5 % of the runtime in the peer
 * harness's W1 (issue 12). Callers pass limits from a small fixed set (page sizes, batch constants).
 * @param template SQL with exactly one `{limit}` where the limit goes
 * @param limit rows, a non-negative safe integer
 * @throws RangeError for any other limit (never interpolated)
 */
export function withLimit(template: string, limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`LIMIT must be a non-negative integer: ${limit}`);
  let texts = limited.get(template);
  if (!texts) {
    if (!template.includes("{limit}")) throw new RangeError("withLimit: the template has no {limit}");
    texts = new Map();
    limited.set(template, texts);
  }
  let text = texts.get(limit);
  if (text === undefined) {
    text = template.replace("{limit}", String(limit));
    texts.set(limit, text);
  }
  return text;
}

/**
 * The column names `table` has now: what an idempotent schema step reads before an `ALTER TABLE … ADD COLUMN`
 * (SQLite has no `ADD COLUMN IF NOT EXISTS`). `table` is a literal of the caller's, never input.
 */
export function columnsOf(sql: SqlStorage, table: string): Set<string> {
  const rows = sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`).toArray();
  return new Set(rows.map((c) => c.name));
}
