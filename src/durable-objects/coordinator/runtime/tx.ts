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
