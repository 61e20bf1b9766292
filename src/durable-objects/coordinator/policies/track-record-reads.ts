/**
 * @module durable-objects/coordinator/policies/track-record-reads
 * `GET …/routing/track-records` with its filters (shared/api-track-records): one factory's records read by the
 * table's primary key (factory_id first), and each factory's `perFactory` records with the most runs — the lines a
 * fleet card shows (dashboard/learned.js `trackLines`: n descending, ties by `engine|jobClass`), so the dashboard's
 * fleet page, polling every 30 s, is not sent every one of up to MAX_TRACK_ROWS records to draw four lines a card.
 */
import type { TrackRecordsQueryT } from "../../../shared/api-track-records.ts";
import { type KeyedRecord, listTrackRecords } from "./track-records.ts";

/**
 * The stored records `filter` asks for, by factory, engine, class (the unfiltered list's order): all of them
 * without a filter; only `factoryId`'s (none for an id this product has no records of); at most `perFactory` of each
 * factory, those with the most runs.
 */
export function readTrackRecords(sql: SqlStorage, filter: TrackRecordsQueryT = {}): KeyedRecord[] {
  const records = listTrackRecords(sql, filter.factoryId);
  return filter.perFactory === undefined ? records : topPerFactory(records, filter.perFactory);
}

/**
 * At most `max` of each factory's records, those with the most runs (the fleet card's order: dashboard/learned.js
 * `trackLines`, n descending, ties by `engine|jobClass` as JS sorts strings), in the order `records` has them.
 */
export function topPerFactory<R extends KeyedRecord>(records: readonly R[], max: number): R[] {
  const byFactory = new Map<string, R[]>();
  for (const r of records) {
    const own = byFactory.get(r.factoryId);
    if (own) own.push(r);
    else byFactory.set(r.factoryId, [r]);
  }
  const kept = new Set<R>();
  for (const own of byFactory.values()) for (const r of own.sort(mostRunsFirst).slice(0, max)) kept.add(r);
  return records.filter((r) => kept.has(r));
}

function mostRunsFirst(a: KeyedRecord, b: KeyedRecord): number {
  const [ka, kb] = [`${a.engine}|${a.jobClass}`, `${b.engine}|${b.jobClass}`];
  return b.record.n - a.record.n || (ka < kb ? -1 : ka > kb ? 1 : 0);
}
