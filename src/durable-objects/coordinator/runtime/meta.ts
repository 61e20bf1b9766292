/**
 * @module durable-objects/coordinator/runtime/meta
 * Small per-product values kept in the `meta` table: the queue version (bumped
 * on job create and every stage change, so an idle factory can tell "nothing
 * changed" for the price of one row read), and product settings.
 */

import { type ProductSettings, withDefaults } from "../../../core/settings.ts";
import { one } from "./tx.ts";

export function getMeta(sql: SqlStorage, key: string): string | undefined {
  return one<{ value: string }>(sql, "SELECT value FROM meta WHERE key = ?", key)?.value;
}

export function setMeta(sql: SqlStorage, key: string, value: string): void {
  sql.exec(
    "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    key,
    value,
  );
}

export function queueVersion(sql: SqlStorage): number {
  return Number(getMeta(sql, "queue_version") ?? "0");
}

export function bumpQueueVersion(sql: SqlStorage): number {
  const next = queueVersion(sql) + 1;
  setMeta(sql, "queue_version", String(next));
  return next;
}

export type { ProductSettings };

/** The product's settings (core/settings), defaults filled in for anything never set. */
export function getSettings(sql: SqlStorage): ProductSettings {
  const raw = getMeta(sql, "settings");
  return withDefaults(raw ? (JSON.parse(raw) as Partial<ProductSettings>) : undefined);
}

export function saveSettings(sql: SqlStorage, settings: ProductSettings): void {
  setMeta(sql, "settings", JSON.stringify(settings));
}
