/**
 * @module durable-objects/coordinator/policies/track-rebuild
 * The track records rebuilt from the D1 runs history (`POST …/routing/rebuild`): the Worker reads the product's ended
 * runs oldest first by start and hands them over in chunks, each replayed here in a unit of its own into the table
 * policies/track-records keeps. Each replayed run is marked with the record that counted it, at the cost the
 * coordinator's own run row holds — so a late charge (policies/closed-run-raise) landing between chunks neither
 * revises a record that does not hold its run yet nor is lost when the run's chunk was read from D1 before it.
 */
import { DomainError } from "../../../core/errors.ts";
import type { RunResult } from "../../../core/model.ts";
import { countsAs } from "../../../core/run-counts.ts";
import type { Outcome } from "../../../core/track-record.ts";
import { classOfJob } from "../../../core/track-term.ts";
import { execute } from "../../sql-statements.ts";
import { cachedFactory } from "../factories/cache.ts";
import { loadJob } from "../jobs/rows.ts";
import { getMeta, setMeta } from "../runtime/meta.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { addToRecord, markCounted } from "./track-records.ts";

/** One ended run of the D1 history, as the Worker hands it over for a rebuild. */
export interface HistoryRun {
  jobId: string;
  /** With `jobId`, the run's key: the coordinator's own row of it is read (its cost) and marked (what counted it). */
  leaseEpoch: number;
  factoryId: string;
  engine?: string | null;
  startedAt: number;
  endedAt: number;
  outcome: RunResult["outcome"];
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
 * revoked (its records dropped then), is skipped and counted in `skipped`. A run's cost is its row's here when the
 * coordinator still has it (USD): a late charge raises that row at once, and D1's copy only when its record ships.
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
    const own = ownRow(tx.sql, r);
    const ok = countsAs(r.outcome, own?.retryable);
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
    const costUsd = own ? own.costUsd : (r.costUsd ?? undefined);
    if (costUsd !== undefined) o.costUsd = costUsd;
    const made = addToRecord(tx, { factoryId: r.factoryId, engine: r.engine ?? "*", jobClass }, o, r.endedAt);
    markCounted(tx, r.jobId, r.leaseEpoch, made);
    counted += 1;
  }
  return { counted, skipped, rebuild: rebuild ?? last.id + 1 };
}

/**
 * What the coordinator's own row of run `r` says, when it still has it: its cost, USD (a late charge raised it in the
 * unit that charged it, and D1's copy only when its record ships), undefined when it reported none; and its result's
 * `retryable` — what tells a product budget's stop (neutral) from an overrun of the job's own budget (core/run-counts
 * `countsAs`), read here because D1's rows from before migration 0012 do not hold it. Undefined with no row (its job pruned: no late charge can reach it, and
 * the run is skipped with its job anyway).
 */
function ownRow(sql: SqlStorage, r: HistoryRun): { costUsd?: number; retryable?: boolean } | undefined {
  const row = one<{ cost: number | null; retryable: number | null }>(
    sql,
    "SELECT json_extract(doc, '$.insights.costUsd') AS cost, json_extract(doc, '$.result.retryable') AS retryable FROM runs WHERE job_id = ? AND lease_epoch = ?",
    r.jobId,
    r.leaseEpoch,
  );
  if (!row) return undefined;
  return {
    ...(row.cost !== null ? { costUsd: row.cost } : {}),
    ...(row.retryable !== null ? { retryable: row.retryable === 1 } : {}),
  };
}

function jobClassFromRow(sql: SqlStorage, jobId: string): string | undefined {
  const job = loadJob(sql, jobId);
  return job ? classOfJob(job) : undefined;
}
