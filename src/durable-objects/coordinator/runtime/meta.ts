/**
 * @module durable-objects/coordinator/runtime/meta
 * Small per-product values kept in the `meta` table: the queue version (bumped
 * on job create and every stage change, so an idle factory can tell "nothing
 * changed" for the price of one row read), and product settings.
 *
 * Values are kept in memory, written through: the queue version is read twice per unit, the settings by every
 * dispatch decision and the webhook's presence by every feed event — 6 % of the coordinator's CPU in the
 * throughput profile went to reading this table. Every write goes through `setMeta`/`deleteMeta`, and a unit
 * that rolls back forgets the whole cache (runtime/units), as for cached factories.
 */

import { type ProductSettings, withDefaults } from "../../../core/settings.ts";
import { execute } from "../../sql-statements.ts";
import { one } from "./tx.ts";

/** Values by key, one map per SQLite handle (one per coordinator instance); `null` records a known absence. */
const caches = new WeakMap<SqlStorage, Map<string, string | null>>();
/** The settings document last parsed, per handle, with the text it came from. */
const parsed = new WeakMap<SqlStorage, { raw: string; value: Partial<ProductSettings> }>();

function cacheOf(sql: SqlStorage): Map<string, string | null> {
  let cache = caches.get(sql);
  if (!cache) {
    cache = new Map();
    caches.set(sql, cache);
  }
  return cache;
}

export function getMeta(sql: SqlStorage, key: string): string | undefined {
  const cache = cacheOf(sql);
  const hit = cache.get(key);
  if (hit !== undefined) return hit ?? undefined;
  const value = one<{ value: string }>(sql, "SELECT value FROM meta WHERE key = ?", key)?.value;
  cache.set(key, value ?? null);
  return value;
}

export function setMeta(sql: SqlStorage, key: string, value: string): void {
  execute(
    sql,
    "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    key,
    value,
  );
  cacheOf(sql).set(key, value);
}

export function deleteMeta(sql: SqlStorage, key: string): void {
  execute(sql, "DELETE FROM meta WHERE key = ?", key);
  cacheOf(sql).set(key, null);
}

/**
 * Forget every cached value of this handle: after a rolled-back unit (it may have cached a write it undid), or
 * after a test changed the table behind the coordinator's back. Always safe: the next read goes to SQLite.
 */
export function forgetMeta(sql: SqlStorage): void {
  caches.delete(sql);
  parsed.delete(sql);
}

export function queueVersion(sql: SqlStorage): number {
  return Number(getMeta(sql, "queue_version") ?? "0");
}

/**
 * Bump the queue version (every job created and every stage change: SPEC). `dispatch: false` for a change no
 * dispatch pass can act on (core/stages `movesDispatch`): runtime/units asks for a pass only after a unit that made
 * a bump that can — at 200 submits/s, a pass after every move to building was a quarter of the coordinator's CPU.
 */
export function bumpQueueVersion(sql: SqlStorage, { dispatch = true }: { dispatch?: boolean } = {}): number {
  const next = queueVersion(sql) + 1;
  setMeta(sql, "queue_version", String(next));
  if (dispatch) dispatchMarks.set(sql, (dispatchMarks.get(sql) ?? 0) + 1);
  return next;
}

/** Per handle, a count of bumps that can change what a dispatch pass finds (memory only: compared within a unit). */
const dispatchMarks = new WeakMap<SqlStorage, number>();

/** The count `bumpQueueVersion` keeps of dispatch-relevant bumps: a unit that changed it asks for a pass. */
export function dispatchMark(sql: SqlStorage): number {
  return dispatchMarks.get(sql) ?? 0;
}

export type { ProductSettings };

/** The product's settings (core/settings), defaults filled in for anything never set. */
export function getSettings(sql: SqlStorage): ProductSettings {
  const raw = getMeta(sql, "settings");
  if (!raw) return withDefaults(undefined);
  let memo = parsed.get(sql);
  if (memo?.raw !== raw) {
    memo = { raw, value: JSON.parse(raw) as Partial<ProductSettings> };
    parsed.set(sql, memo);
  }
  // withDefaults builds a fresh document (nested values copied), so a caller's changes never reach the memo.
  return withDefaults(memo.value);
}

export function saveSettings(sql: SqlStorage, settings: ProductSettings): void {
  setMeta(sql, "settings", JSON.stringify(settings));
}
