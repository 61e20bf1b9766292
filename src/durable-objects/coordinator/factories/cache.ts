/**
 * @module durable-objects/coordinator/factories/cache
 * Parsed factory documents kept in memory, so a dispatch pass does not read and parse every factory row
 * (issue 12 item 4: with 1,000 idle sockets attached, that read was most of a pass).
 *
 * Invalidation is structural: the factories table has one write path, factories/registry (`storeFactory`,
 * `deleteFactory`), and it forgets the written id after every write — a unit test fails if any other source
 * file writes the table. A transaction that rolls back may have cached a document it wrote, so runtime/units
 * forgets everything when a transaction throws. Forgetting is always safe: the next read goes to SQLite.
 *
 * What depends on `now` (health) or on other tables (load: live leases) is never cached; callers compute it
 * at read. A coordinator instance is evicted with its memory, so a cold instance starts empty.
 */
import type { StoredFactory } from "./registry.ts";

/**
 * Documents by factory id, one map per SQLite handle (one per coordinator instance: every unit reads and writes
 * through `Units.sql`). `null` records a known absence (a deregistered id still attached to a socket).
 */
const caches = new WeakMap<SqlStorage, Map<string, StoredFactory | null>>();

function cacheOf(sql: SqlStorage): Map<string, StoredFactory | null> {
  let cache = caches.get(sql);
  if (!cache) {
    cache = new Map();
    caches.set(sql, cache);
  }
  return cache;
}

/**
 * The stored document of factory `id`, from memory or else from one indexed row read (then kept).
 * The caller must not mutate it: it is the cached object itself.
 */
export function cachedFactory(sql: SqlStorage, id: string): Readonly<StoredFactory> | undefined {
  const cache = cacheOf(sql);
  const hit = cache.get(id);
  if (hit !== undefined) return hit ?? undefined;
  const row = sql.exec<{ doc: string }>("SELECT doc FROM factories WHERE id = ?", id).toArray()[0];
  const doc = row ? (JSON.parse(row.doc) as StoredFactory) : null;
  cache.set(id, doc);
  return doc ?? undefined;
}

/** The write path's half: factory `id` was written or deleted (factories/registry calls this on every write). */
export function forgetCachedFactory(sql: SqlStorage, id: string): void {
  caches.get(sql)?.delete(id);
}

/** A transaction rolled back (runtime/units): anything cached during it may be a write that never happened. */
export function forgetAllCachedFactories(sql: SqlStorage): void {
  caches.get(sql)?.clear();
}

/** How many documents are held (tests: the cache is in use and bounded by the factories asked for). */
export function cachedFactoryCount(sql: SqlStorage): number {
  return caches.get(sql)?.size ?? 0;
}
