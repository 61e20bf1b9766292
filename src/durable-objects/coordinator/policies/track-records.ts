/**
 * @module durable-objects/coordinator/policies/track-records
 * Track records per (factory, engine, job class) (issue 11 part 1) in `track_records`, over core/track-record.
 * `noteRunForTrack` is called for every run that ends (jobs/runs `finishRun`), in that unit, as the breakers' is;
 * `trackContext` hands the router its learned-term input (dispatch/claim `routeContext`); policies/track-rebuild
 * rebuilds the table from the D1 runs history (`POST …/routing/rebuild`, in chunks).
 *
 * What counts is core/run-counts `countsAs`, the rule every count of runs reads (metrics' success ratio too): a
 * `budget_exceeded` run that spent the job's own budget is the engine's failure at its cost, one the product's budget
 * stopped and requeued is not counted. Breakers still take every `budget_exceeded` as neutral: an overrun says the
 * engine is dear, not that it is down.
 */
import { holdsAll } from "../../../core/capability-key.ts";
import type { Job } from "../../../core/model.ts";
import { effectiveRequires } from "../../../core/route-filter.ts";
import { countsAs } from "../../../core/run-counts.ts";
import { addOutcome, emptyRecord, type Outcome, type TrackRecord } from "../../../core/track-record.ts";
import { classOfJob, type TrackContext } from "../../../core/track-term.ts";
import type { Run } from "../../../shared/responses.ts";
import { columnsOf, execute } from "../../sql-statements.ts";
import { cachedFactory } from "../factories/cache.ts";
import { getMeta, getSettings, setMeta } from "../runtime/meta.ts";
import { one, type Tx } from "../runtime/tx.ts";

/** 5 000 rows (~1 KB each): 50 factories × 4 engines × 25 job classes, far below the DO's storage limits. */
export const MAX_TRACK_ROWS = 5_000;

interface TrackRow extends Record<string, SqlStorageValue> {
  factory_id: string;
  engine: string;
  job_class: string;
  doc: string;
}

/** One stored record with its key, as `GET …/routing/track-records` and the recommendations read it. */
export interface KeyedRecord {
  factoryId: string;
  engine: string;
  jobClass: string;
  record: TrackRecord;
}

/** One record by its key (the primary key): `?1` factory id, `?2` engine, `?3` job class. */
export const RECORD_SQL = "SELECT doc FROM track_records WHERE factory_id = ? AND engine = ? AND job_class = ?";

/**
 * The record of a key (`?1` factory id, `?2` engine, `?3` job class) only if it is the one that counted run (`?4` job
 * id, `?5` lease epoch): its `made` is the run's `track_made` (both NULL: a record and its runs from before them).
 */
export const HOLDING_RECORD_SQL = `${RECORD_SQL} AND made IS (SELECT track_made FROM runs WHERE job_id = ? AND lease_epoch = ?)`;

/** Meta key of the last `made` number given to a record (one more for each record made, never reused). */
const MADE_KEY = "track_made";

/**
 * `track_records.made` (which record it is: a number no other record of the product had) and `runs.track_made`
 * (the `made` of the record that counted the run) on tables made before them. Why: a late cost revised whatever
 * record its key named (policies/closed-run-raise), though a record evicted at MAX_TRACK_ROWS and made afresh, or
 * emptied by a rebuild and not yet replayed to the run, does not hold it. Rows from before have NULL in both: such a
 * record still matches the runs it counted, as before; any record made since has a number of its own.
 */
export function applyTrackRecordColumns(sql: SqlStorage): void {
  if (!columnsOf(sql, "track_records").has("made")) execute(sql, "ALTER TABLE track_records ADD COLUMN made INTEGER");
  if (!columnsOf(sql, "runs").has("track_made")) execute(sql, "ALTER TABLE runs ADD COLUMN track_made INTEGER");
}

/**
 * Adds one counted outcome at `at` (ms) to the record of (factory, engine, class), evicting the stalest beyond the
 * cap; the record's `made` number (a new one when the record is new; null: a record from before the numbers).
 */
export function addToRecord(tx: Tx, key: Omit<KeyedRecord, "record">, o: Outcome, at: number): number | null {
  const row = one<{ doc: string; made: number | null }>(
    tx.sql,
    "SELECT doc, made FROM track_records WHERE factory_id = ? AND engine = ? AND job_class = ?",
    key.factoryId,
    key.engine,
    key.jobClass,
  );
  const next = addOutcome(row ? (JSON.parse(row.doc) as TrackRecord) : emptyRecord(at), o, at);
  const made = row ? row.made : Number(getMeta(tx.sql, MADE_KEY) ?? 0) + 1;
  if (!row) setMeta(tx.sql, MADE_KEY, String(made));
  execute(
    tx.sql,
    "INSERT OR REPLACE INTO track_records(factory_id, engine, job_class, updated_at, doc, made) VALUES (?, ?, ?, ?, ?, ?)",
    key.factoryId,
    key.engine,
    key.jobClass,
    next.updatedAt,
    JSON.stringify(next),
    made,
  );
  if (row) return made;
  const count = tx.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM track_records").one().n;
  if (count > MAX_TRACK_ROWS) {
    execute(
      tx.sql,
      `DELETE FROM track_records WHERE rowid IN
         (SELECT rowid FROM track_records ORDER BY updated_at, factory_id, engine, job_class LIMIT ?)`, // bound-limit: a rare trim by any count; one re-prepare is cheaper than a text per count
      count - MAX_TRACK_ROWS,
    );
  }
  return made;
}

/** Run (`jobId`, `leaseEpoch`) was counted in the record numbered `made` (addToRecord): what its late cost revises. */
export function markCounted(tx: Tx, jobId: string, leaseEpoch: number, made: number | null): void {
  execute(tx.sql, "UPDATE runs SET track_made = ? WHERE job_id = ? AND lease_epoch = ?", made, jobId, leaseEpoch);
}

/** A run ended (`run.result` set) for `job`: count it in its track record, unless its outcome is neutral. */
export function noteRunForTrack(tx: Tx, job: Pick<Job, "requires" | "manifest">, run: Run): void {
  const ok = run.result ? countsAs(run.result.outcome, run.result.retryable) : undefined;
  if (ok === undefined) return;
  const at = run.endedAt ?? tx.now;
  const o: Outcome = { ok, durationMs: Math.max(0, at - run.startedAt) };
  if (run.insights?.costUsd !== undefined) o.costUsd = run.insights.costUsd;
  const key = { factoryId: run.factoryId, engine: run.engine ?? "*", jobClass: classOfJob(job) };
  markCounted(tx, run.jobId, run.leaseEpoch, addToRecord(tx, key, o, at));
}

/** Every stored record, or only `factoryId`'s (read by the primary key's first column), by factory, engine, class. */
export function listTrackRecords(sql: SqlStorage, factoryId?: string): KeyedRecord[] {
  const cols = "SELECT factory_id, engine, job_class, doc FROM track_records";
  const order = "ORDER BY factory_id, engine, job_class";
  const rows =
    factoryId === undefined
      ? sql.exec<TrackRow>(`${cols} ${order}`).toArray()
      : sql.exec<TrackRow>(`${cols} WHERE factory_id = ? ${order}`, factoryId).toArray();
  return rows.map((r) => ({
    factoryId: r.factory_id,
    engine: r.engine,
    jobClass: r.job_class,
    record: JSON.parse(r.doc) as TrackRecord,
  }));
}

/**
 * Every record of one (engine, job class): `?1` engine, `?2` job class. Walks `track_records_by_key`: read once per
 * (engine, class) and dispatch pass, it must not cost a scan of up to MAX_TRACK_ROWS rows.
 */
export const RECORDS_OF_KEY_SQL = "SELECT factory_id, doc FROM track_records WHERE engine = ? AND job_class = ?";

/**
 * The router's learned-term input: the product's objective and minimum n, each record read by its key on first use
 * and kept for the pass — not the whole table (up to MAX_TRACK_ROWS) per dispatch pass.
 *
 * `referenceOf`: the factories a job's term is normalised against — every enrolled (not revoked) factory that holds
 * the job's capabilities and has a record for its (engine, class), whether or not it is connected, free or healthy.
 * A factory with no record could not move the median, so the records name the set: one statement per (engine,
 * class) and pass, which also fills the records' cache.
 */
export function trackContext(tx: Tx): TrackContext {
  const { routing } = getSettings(tx.sql);
  const byKey = new Map<string, TrackRecord | undefined>();
  const peers = new Map<string, string[]>();
  return {
    objective: routing.objective,
    minSamples: routing.minSamples,
    recordOf: (factoryId, engine, jobClass) => {
      const key = `${factoryId}\n${engine}\n${jobClass}`;
      if (!byKey.has(key)) {
        const row = one<{ doc: string }>(tx.sql, RECORD_SQL, factoryId, engine, jobClass);
        byKey.set(key, row ? (JSON.parse(row.doc) as TrackRecord) : undefined);
      }
      return byKey.get(key);
    },
    referenceOf: (job) => {
      const engine = job.engine ?? "*";
      const jobClass = classOfJob(job);
      const key = `${engine}\n${jobClass}`;
      const known = peers.get(key);
      if (known) return known;
      const required = effectiveRequires(job);
      const ids: string[] = [];
      const rows = tx.sql.exec<{ factory_id: string; doc: string }>(RECORDS_OF_KEY_SQL, engine, jobClass).toArray();
      for (const row of rows) {
        byKey.set(`${row.factory_id}\n${engine}\n${jobClass}`, JSON.parse(row.doc) as TrackRecord);
        const f = cachedFactory(tx.sql, row.factory_id);
        if (f && f.status !== "revoked" && holdsAll(new Set(f.capabilities), required)) ids.push(row.factory_id);
      }
      peers.set(key, ids);
      return ids;
    },
  };
}
