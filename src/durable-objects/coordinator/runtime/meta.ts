/**
 * @module durable-objects/coordinator/runtime/meta
 * Small per-product values kept in the `meta` table: the queue version (bumped
 * on job create and every stage change, so an idle factory can tell "nothing
 * changed" for the price of one row read), and product settings.
 *
 * Values are kept in memory, written through: the queue version is read twice per unit, the settings by every
 * dispatch decision and the webhook's presence by every feed event — 6 % of the coordinator's CPU in the
 * throughput profile went to reading this table. Every write goes through `setMeta`/`deleteMeta`, and a unit
 * that rolls back forgets the whole cache (runtime/units), as for cached factories. The one value written later
 * is the queue version bumped inside a unit: once, at the unit's commit (`bumpQueueVersion`).
 */

import { type ProductSettings, withDefaults } from "../../../core/settings.ts";
import { execute } from "../../sql-statements.ts";
import { one } from "./tx.ts";

/** The meta key of the queue version. */
const QUEUE_VERSION = "queue_version";

/** Values by key, one map per SQLite handle (one per coordinator instance); `null` records a known absence. */
const caches = new WeakMap<SqlStorage, Map<string, string | null>>();
/**
 * The settings document last parsed, per handle: the text it came from, the document as stored and (built at its
 * first `getSettings`) with defaults filled in — both frozen at every depth, so no reader's change can reach them.
 */
interface SettingsMemo {
  raw: string;
  value: DeepReadonly<Partial<ProductSettings>>;
  view?: SettingsView;
}
const parsed = new WeakMap<SqlStorage, SettingsMemo>();

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
  // A nested part rolled back inside a unit still running: the version its unit bumped before it is not stored yet.
  const unwritten = openUnits.get(sql)?.unwritten;
  if (unwritten !== undefined) cacheOf(sql).set(QUEUE_VERSION, String(unwritten));
}

export function queueVersion(sql: SqlStorage): number {
  return Number(getMeta(sql, QUEUE_VERSION) ?? "0");
}

/**
 * Bump the queue version (every job created and every stage change: SPEC). `dispatch: false` for a change no
 * dispatch pass can act on (core/stages `movesDispatch`): runtime/units asks for a pass only after a unit that made
 * a bump that can — at 200 submits/s, a pass after every move to building was a quarter of the coordinator's CPU.
 * Inside a unit the new value is cached at once (every reader in the unit sees it) and written once, at the unit's
 * commit (`closeMetaUnit`): a 250-job bulk submit wrote the row 250 times. Outside a unit it is written at once.
 * @returns the new version
 */
export function bumpQueueVersion(sql: SqlStorage, { dispatch = true }: { dispatch?: boolean } = {}): number {
  const next = queueVersion(sql) + 1;
  const unit = openUnits.get(sql);
  if (unit) {
    cacheOf(sql).set(QUEUE_VERSION, String(next));
    unit.unwritten = next;
  } else setMeta(sql, QUEUE_VERSION, String(next));
  if (dispatch) dispatchMarks.set(sql, (dispatchMarks.get(sql) ?? 0) + 1);
  return next;
}

/**
 * Per handle, while a unit runs: the version bumped and not yet written, and for each open level (the unit, then
 * each nested part: a savepoint) what that was when the level began.
 */
const openUnits = new WeakMap<SqlStorage, { unwritten?: number; marks: Array<number | undefined> }>();

/** A unit, or a nested part of one (a savepoint), begins on `sql` (runtime/units, with its history group). */
export function openMetaUnit(sql: SqlStorage): void {
  const unit = openUnits.get(sql);
  if (unit) unit.marks.push(unit.unwritten);
  else openUnits.set(sql, { marks: [undefined] });
}

/**
 * The unit or part opened last ends, still inside its transaction. A throw (`commit` false) drops what it bumped
 * (its rollback undoes the rest, and `forgetMeta` keeps what was bumped before it); the outermost unit, ending
 * without one, writes the version bumped last.
 */
export function closeMetaUnit(sql: SqlStorage, commit: boolean): void {
  const unit = openUnits.get(sql);
  if (!unit) return;
  const mark = unit.marks.pop();
  if (!commit) unit.unwritten = mark;
  if (unit.marks.length > 0) return;
  openUnits.delete(sql);
  if (unit.unwritten !== undefined) setMeta(sql, QUEUE_VERSION, String(unit.unwritten));
}

/** Per handle, a count of bumps that can change what a dispatch pass finds (memory only: compared within a unit). */
const dispatchMarks = new WeakMap<SqlStorage, number>();

/** The count `bumpQueueVersion` keeps of dispatch-relevant bumps: a unit that changed it asks for a pass. */
export function dispatchMark(sql: SqlStorage): number {
  return dispatchMarks.get(sql) ?? 0;
}

export type { ProductSettings };

/** `T` read only at every depth: arrays as `readonly` arrays, objects' keys `readonly`. */
export type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The settings as dispatch reads them: the memo itself, frozen at every depth (`getSettings`). */
export type SettingsView = DeepReadonly<ProductSettings>;

/** `value` and everything reachable from it frozen (plain JSON data: objects, arrays, primitives); returns `value`. */
function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}

/** The view of a product that never saved settings: the defaults, built once for every handle. */
const DEFAULT_VIEW: SettingsView = deepFreeze(withDefaults(undefined));

/**
 * The product's settings (core/settings), defaults filled in for anything never set — the memo itself, frozen at every
 * depth (a change throws a TypeError), built once per stored text: it is read on every dispatch pass, claim, run end,
 * report's retry and health check, and a `withDefaults` copy of the whole document per read was most of what a read
 * cost. A caller that means to save a change starts from `settingsToChange`.
 */
export function getSettings(sql: SqlStorage): SettingsView {
  const memo = storedSettings(sql);
  if (!memo) return DEFAULT_VIEW;
  memo.view ??= deepFreeze(withDefaults(memo.value as Partial<ProductSettings>));
  return memo.view;
}

/**
 * The product's settings as a fresh document of the caller's own, every level copied (defaults filled in): what a
 * writer changes and hands to `saveSettings` (policies/settings, budget, budget-unset, serial-gates). Never the memo.
 */
export function settingsToChange(sql: SqlStorage): ProductSettings {
  return structuredClone(getSettings(sql)) as ProductSettings;
}

/**
 * The operator's price table (settings `prices`, core/prices) as stored, undefined when none was ever set — the
 * memo itself, frozen, no `withDefaults` copy: read with every run report that moves an unpriced mark
 * (policies/estimate-spend), where most products have no price.
 */
export function storedPrices(sql: SqlStorage): Readonly<ProductSettings["prices"]> | undefined {
  return storedSettings(sql)?.value.prices as Readonly<ProductSettings["prices"]> | undefined;
}

/** The settings document as stored (parsed and frozen once per text), undefined when none was ever saved. */
function storedSettings(sql: SqlStorage): SettingsMemo | undefined {
  const raw = getMeta(sql, "settings");
  if (!raw) return undefined;
  let memo = parsed.get(sql);
  if (memo?.raw !== raw) {
    memo = { raw, value: deepFreeze(JSON.parse(raw) as Partial<ProductSettings>) };
    parsed.set(sql, memo);
  }
  return memo;
}

export function saveSettings(sql: SqlStorage, settings: ProductSettings): void {
  setMeta(sql, "settings", JSON.stringify(settings));
}
