/**
 * @module durable-objects/coordinator/runtime/tx
 * The context every store operation runs in: the coordinator's SQLite handle,
 * its product, and the instant of the decision. Passing `now` in (instead of
 * reading the clock inside) is what lets tests set state and replay decisions.
 */

export interface Tx {
  readonly sql: SqlStorage;
  readonly productId: string;
  readonly now: number;
  /**
   * Holder → lease expiries this part of a unit decided, when its unit writes each factory's record once at its end
   * (factories/batch): dispatch/lease-ops `expireLease` counts here instead of writing the record at once. A part
   * that can be undone (a savepoint) counts in a map of its own, added to its unit's only once it stands. Absent:
   * each expiry goes on the record at once.
   */
  readonly expiries?: Map<string, number>;
}

/** Adds `part`'s counts into `into` (a part of a unit that stands: see Tx `expiries`). */
export function addCounts(into: Map<string, number>, part: ReadonlyMap<string, number>): void {
  for (const [key, count] of part) into.set(key, (into.get(key) ?? 0) + count);
}

/** First row of a query, or undefined. */
export function one<T extends Record<string, SqlStorageValue>>(
  sql: SqlStorage,
  query: string,
  ...bindings: unknown[]
): T | undefined {
  const rows = sql.exec<T>(query, ...bindings).toArray();
  return rows[0];
}

let lastMs = 0;
let seqInMs = 0;

/**
 * A URL-safe id that sorts in creation order: fixed-width time (ms, base36), a
 * sequence within the millisecond, then 32 random bits. Each product has one
 * writer, so ids of one product are strictly increasing — ties in "oldest
 * first" orderings break by id and still mean first come, first served.
 */
export function newId(prefix: string, now: number): string {
  if (now > lastMs) {
    lastMs = now;
    seqInMs = 0;
  } else {
    seqInMs += 1;
  }
  const rand = new Uint8Array(4);
  crypto.getRandomValues(rand);
  let tail = "";
  for (const b of rand) tail += b.toString(16).padStart(2, "0");
  return `${prefix}_${lastMs.toString(36).padStart(9, "0")}${seqInMs.toString(36).padStart(3, "0")}${tail}`;
}
