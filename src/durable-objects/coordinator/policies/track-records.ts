/**
 * @module durable-objects/coordinator/policies/track-records
 * Track records per (factory, engine, job class) (issue 11 part 1) in `track_records`, over core/track-record.
 * `noteRunForTrack` is called for every run that ends (jobs/runs `finishRun`), in that unit, as the breakers' is;
 * `trackContext` hands the router its learned-term input (dispatch/claim `routeContext`); `replayRuns` rebuilds the
 * table from the D1 runs history (`POST …/routing/rebuild`, in chunks).
 *
 * What counts mirrors policies/breakers: `success` is a success; `failure`, `timeout` and `rate_limited` are the
 * engine's failure; `cancelled`, `preempted`, `handed_back`, `budget_exceeded` and `fenced` are not counted at all —
 * an operator, a more urgent job, a hand-back, a budget or a lost lease ended the run, not the engine.
 */
import { holdsAll } from "../../../core/capability-key.ts";
import { DomainError } from "../../../core/errors.ts";
import type { Job, RunResult } from "../../../core/model.ts";
import { effectiveRequires } from "../../../core/route-filter.ts";
import { addOutcome, emptyRecord, type Outcome, type TrackRecord } from "../../../core/track-record.ts";
import { classOfJob, type TrackContext } from "../../../core/track-term.ts";
import type { Run } from "../../../shared/responses.ts";
import { execute } from "../../sql-statements.ts";
import { cachedFactory } from "../factories/cache.ts";
import { loadJob } from "../jobs/rows.ts";
import { getMeta, getSettings, setMeta } from "../runtime/meta.ts";
import { one, type Tx } from "../runtime/tx.ts";

/** 5 000 rows (~1 KB each): 50 factories × 4 engines × 25 job classes, far below the DO's storage limits. */
export const MAX_TRACK_ROWS = 5_000;

type RunOutcome = RunResult["outcome"];

/** Whether an outcome is the engine's success (true), its failure (false) or not counted (undefined). */
export function countsAs(outcome: RunOutcome): boolean | undefined {
  switch (outcome) {
    case "success":
      return true;
    case "failure":
    case "timeout":
    case "rate_limited":
      return false;
    case "cancelled":
    case "preempted":
    case "handed_back":
    case "budget_exceeded":
    case "fenced":
      return undefined;
  }
}

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

/** Adds one counted outcome at `at` (ms) to the record of (factory, engine, class), evicting the stalest beyond the cap. */
export function addToRecord(tx: Tx, key: Omit<KeyedRecord, "record">, o: Outcome, at: number): void {
  const row = one<{ doc: string }>(tx.sql, RECORD_SQL, key.factoryId, key.engine, key.jobClass);
  const next = addOutcome(row ? (JSON.parse(row.doc) as TrackRecord) : emptyRecord(at), o, at);
  execute(
    tx.sql,
    "INSERT OR REPLACE INTO track_records(factory_id, engine, job_class, updated_at, doc) VALUES (?, ?, ?, ?, ?)",
    key.factoryId,
    key.engine,
    key.jobClass,
    next.updatedAt,
    JSON.stringify(next),
  );
  if (row) return;
  const count = tx.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM track_records").one().n;
  if (count > MAX_TRACK_ROWS) {
    execute(
      tx.sql,
      `DELETE FROM track_records WHERE rowid IN
         (SELECT rowid FROM track_records ORDER BY updated_at, factory_id, engine, job_class LIMIT ?)`, // bound-limit: a rare trim by any count; one re-prepare is cheaper than a text per count
      count - MAX_TRACK_ROWS,
    );
  }
}

/** A run ended (`run.result` set) for `job`: count it in its track record, unless its outcome is neutral. */
export function noteRunForTrack(tx: Tx, job: Pick<Job, "requires" | "manifest">, run: Run): void {
  const ok = run.result ? countsAs(run.result.outcome) : undefined;
  if (ok === undefined) return;
  const at = run.endedAt ?? tx.now;
  const o: Outcome = { ok, durationMs: Math.max(0, at - run.startedAt) };
  if (run.insights?.costUsd !== undefined) o.costUsd = run.insights.costUsd;
  addToRecord(tx, { factoryId: run.factoryId, engine: run.engine ?? "*", jobClass: classOfJob(job) }, o, at);
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

/** One ended run of the D1 history, as the Worker hands it over for a rebuild. */
export interface HistoryRun {
  jobId: string;
  factoryId: string;
  engine?: string | null;
  startedAt: number;
  endedAt: number;
  outcome: RunOutcome;
  costUsd?: number | null;
}

/** Meta key of the rebuild under way: `{"id": n, "at": ms}` — its number and its first chunk's time. */
const REBUILD_KEY = "track_rebuild";

/**
 * Replays a chunk of the history into `track_records` (any order: core/track-record `addOutcome`). `rebuild`
 * absent: the first chunk — the table is emptied and rebuild number `id` (one more than the last) begins at
 * `tx.now`; later chunks pass that `id`. A run that ended after its rebuild began is skipped: the live fold counted it
 * into the emptied table (a run ending in the very millisecond of the first chunk, after it, would count twice).
 * The job class comes from the job's row here; a run whose job was pruned, or whose factory was deregistered or
 * revoked (its records dropped then), is skipped and counted in `skipped`.
 * @throws DomainError conflict — a newer rebuild began since `rebuild`'s first chunk: this one's chunks would count
 *         their runs into that one's table a second time, so it stops (the newer one rebuilds the table).
 */
export function replayRuns(
  tx: Tx,
  runs: readonly HistoryRun[],
  rebuild?: number,
): { counted: number; skipped: number; rebuild: number } {
  const last = JSON.parse(getMeta(tx.sql, REBUILD_KEY) ?? '{"id":0,"at":0}') as { id: number; at: number };
  if (rebuild === undefined) {
    execute(tx.sql, "DELETE FROM track_records");
    setMeta(tx.sql, REBUILD_KEY, JSON.stringify({ id: last.id + 1, at: tx.now }));
  } else if (rebuild !== last.id) {
    throw new DomainError(
      "conflict",
      `a newer rebuild (${last.id}) of the track records began; this one (${rebuild}) stopped and that one rebuilds them`,
      { rebuild: last.id },
    );
  }
  const since = rebuild === undefined ? tx.now : last.at;
  let counted = 0;
  let skipped = 0;
  const classes = new Map<string, string | undefined>();
  // In order of end, as the live fold added them: the same record to the last bit of a float where it can be.
  for (const r of [...runs].sort((a, b) => a.endedAt - b.endedAt)) {
    if (r.endedAt > since) continue;
    const ok = countsAs(r.outcome);
    if (!classes.has(r.jobId)) classes.set(r.jobId, jobClassFromRow(tx.sql, r.jobId));
    const jobClass = classes.get(r.jobId);
    // Deregistering a factory, or revoking it, dropped its records (policies/routing-changes `forgetFactoryRouting`):
    // D1 still has its runs, and replaying them brought the records back.
    const f = cachedFactory(tx.sql, r.factoryId);
    const gone = jobClass === undefined || f === undefined || f.status === "revoked";
    if (ok === undefined || gone) {
      if (gone) skipped += 1;
      continue;
    }
    const o: Outcome = { ok, durationMs: Math.max(0, r.endedAt - r.startedAt) };
    if (r.costUsd !== undefined && r.costUsd !== null) o.costUsd = r.costUsd;
    addToRecord(tx, { factoryId: r.factoryId, engine: r.engine ?? "*", jobClass }, o, r.endedAt);
    counted += 1;
  }
  return { counted, skipped, rebuild: rebuild ?? last.id + 1 };
}

function jobClassFromRow(sql: SqlStorage, jobId: string): string | undefined {
  const job = loadJob(sql, jobId);
  return job ? classOfJob(job) : undefined;
}
