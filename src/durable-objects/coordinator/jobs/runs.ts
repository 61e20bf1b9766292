/**
 * @module durable-objects/coordinator/jobs/runs
 * One run = one attempt of a job by one factory under one lease epoch. Opened at
 * claim, closed when the lease ends for any reason (result, expiry, release,
 * cancel), so the runs of a job read as its complete attempt history.
 *
 * Runs are keyed by `(job, lease epoch)`, not by attempt number: every claim
 * takes a new epoch, while the attempt number is refunded when a lease ends
 * without blame (release, operator requeue, revoke) and comes round again — a
 * key on it would let the next run overwrite the refunded one and its cost.
 */

import type { Insights, Job, RunResult } from "../../../core/model.ts";
import { type RunSpend, type RunSpendMark, raisedToMark } from "../../../core/run-accrual.ts";
import { withEstimate } from "../../../core/run-estimate-record.ts";
import type { Run } from "../../../shared/responses.ts";
import { execute } from "../../sql-statements.ts";
import { linkOpen, readFactory } from "../factories/registry.ts";
import { enqueueRun } from "../outbox/records.ts";
import { noteRunOutcome } from "../policies/breakers.ts";
import { noteRunForExperiment } from "../policies/experiments.ts";
import { retryableColumn } from "../policies/factory-rates.ts";
import { noteRunForTrack } from "../policies/track-records.ts";
import { one, type Tx } from "../runtime/tx.ts";

export type { Run };

export function startRun(tx: Tx, job: Job, factoryId: string): Run {
  const run: Run = {
    jobId: job.id,
    attempt: job.attempt,
    factoryId,
    leaseEpoch: job.leaseEpoch,
    engine: job.engine,
    startedAt: tx.now,
  };
  execute(
    tx.sql,
    "INSERT INTO runs(job_id, attempt, factory_id, lease_epoch, engine, started_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)",
    run.jobId,
    run.attempt,
    factoryId,
    run.leaseEpoch,
    run.engine ?? null,
    run.startedAt,
    JSON.stringify(run),
  );
  enqueueRun(tx, run);
  return run;
}

/**
 * What a lease expiry knows of its holder when it closes the run (dispatch/lease-ops): when its link was seen to end
 * (`linkLostAt`, ms; kept only when it ended during the run) and its last heartbeat (`lastHeartbeatAt`, ms).
 */
export interface HolderAtEnd {
  linkLostAt?: number;
  lastHeartbeatAt?: number;
}

/**
 * What a lease expiry (dispatch/lease-ops `expireLease`) says of holder `factoryId`, so "timeout: lease expired" is
 * not read as the job's own time limit — one row read per expiry, off the hot path:
 *   - `linkLostAt`: when its link was seen to end (ms), while it stays ended and nothing was heard of it since — a
 *     holder that beat after it (over HTTP: a socket's own frames end with it) was up, so the lost link says nothing
 *     of why its lease lapsed;
 *   - `lastHeartbeatAt`: its last beat (ms), for every expiry — with no link lost (a paused agent, a hung host, one
 *     lost with a coordinator restart) the only fact there is: long before the expiry, the host went silent; just
 *     before it, the host was up and its agent did not renew. Its age alone would be a time of the reader's.
 */
export function holderAtEnd(sql: SqlStorage, factoryId: string | undefined): HolderAtEnd {
  const f = factoryId ? readFactory(sql, factoryId) : undefined;
  if (!f) return {};
  const beat = f.lastHeartbeatAt;
  const ended = linkOpen(f) === false ? f.disconnectedAt : undefined;
  const lost = ended !== undefined && (beat ?? 0) <= ended ? ended : undefined;
  return {
    ...(lost !== undefined ? { linkLostAt: lost } : {}),
    ...(beat !== undefined ? { lastHeartbeatAt: beat } : {}),
  };
}

/** Close the open run of `job`'s current lease epoch, if any; `holder`: what an expiry knows of its holder. */
export function finishRun(
  tx: Tx,
  job: Job,
  result: RunResult,
  insights?: Insights,
  holder: HolderAtEnd = {},
): Run | undefined {
  const row = one<{ doc: string }>(
    tx.sql,
    "SELECT doc FROM runs WHERE job_id = ? AND lease_epoch = ? AND ended_at IS NULL",
    job.id,
    job.leaseEpoch,
  );
  if (!row) return undefined;
  const run = JSON.parse(row.doc) as Run;
  const done: Run = { ...run, endedAt: tx.now, result, insights: runCost(tx.sql, job, insights ?? run.insights) };
  // A link lost before this run began says nothing of why it ended.
  const { linkLostAt, lastHeartbeatAt } = holder;
  if (linkLostAt !== undefined && linkLostAt >= run.startedAt) done.linkLostAt = linkLostAt;
  if (lastHeartbeatAt !== undefined) done.lastHeartbeatAt = lastHeartbeatAt;
  execute(
    tx.sql,
    "UPDATE runs SET ended_at = ?, outcome = ?, retryable = ?, doc = ? WHERE job_id = ? AND lease_epoch = ?",
    tx.now,
    result.outcome,
    retryableColumn(result), // what the metrics' success ratio reads beside the outcome (policies/factory-rates)
    JSON.stringify(done),
    done.jobId,
    done.leaseEpoch,
  );
  enqueueRun(tx, done);
  noteRunOutcome(tx, done);
  noteRunForTrack(tx, job, done);
  noteRunForExperiment(tx, done);
  return done;
}

/** Whether factory `factoryId` ran an attempt of job `jobId` (held one of its leases): one indexed lookup. */
export function ranBy(sql: SqlStorage, jobId: string, factoryId: string): boolean {
  return (
    one(sql, "SELECT 1 AS x FROM runs WHERE job_id = ? AND factory_id = ? LIMIT 1", jobId, factoryId) !== undefined
  );
}

/** When the run of `jobId` under `leaseEpoch` started (ms epoch, the coordinator's clock), undefined when none. */
export function runStartedAt(sql: SqlStorage, jobId: string, leaseEpoch: number): number | undefined {
  return one<{ started_at: number }>(
    sql,
    "SELECT started_at FROM runs WHERE job_id = ? AND lease_epoch = ?",
    jobId,
    leaseEpoch,
  )?.started_at;
}

/**
 * What a run reported as it went (policies/run-spend's high-water marks, `run_spend`): USD and tokens (in + out),
 * zeros when it reported nothing, and of the tokens the written part (core/written-mark `writtenMark`; absent: unknown);
 * `estimatedUsd`, what it was charged on top for unpriced tokens (`run_estimate`, policies/estimate-spend), 0 if none.
 */
export function runSpendMark(sql: SqlStorage, jobId: string, leaseEpoch: number): RunSpendMark {
  const row = one<{ cost_usd: number; tokens: number; tokens_out: number | null; est: number | null }>(
    sql,
    `SELECT s.cost_usd, s.tokens, s.tokens_out, e.usd AS est FROM run_spend s
     LEFT JOIN run_estimate e ON e.job_id = s.job_id AND e.lease_epoch = s.lease_epoch
     WHERE s.job_id = ? AND s.lease_epoch = ?`,
    jobId,
    leaseEpoch,
  );
  const written = row ? (row.tokens_out ?? undefined) : 0; // no row: nothing written
  return { costUsd: row?.cost_usd ?? 0, tokens: row?.tokens ?? 0, tokensOut: written, estimatedUsd: row?.est ?? 0 };
}

/** A job's runs' charges: their reported marks plus their estimated parts (`run_estimate`), with `where`'s runs. */
const CHARGED_SQL = (where: string) =>
  `SELECT COALESCE((SELECT SUM(cost_usd) FROM run_spend WHERE ${where}), 0)
        + COALESCE((SELECT SUM(usd) FROM run_estimate WHERE ${where}), 0) AS costUsd,
          COALESCE((SELECT SUM(tokens) FROM run_spend WHERE ${where}), 0) AS tokens`;

/**
 * What a job has spent in all: every run's high-water marks summed (USD and tokens), zeros when none reported — the
 * figure the manifest's `budget.usd`/`tokens` bound (policies/run-spend, policies/late-spend, policies/job-allowance).
 * Its USD holds what its runs were charged as estimates (policies/estimate-spend): the job's budget stops them too.
 */
export function jobSpendMarks(sql: SqlStorage, jobId: string): RunSpend {
  return sql.exec<{ costUsd: number; tokens: number }>(CHARGED_SQL("job_id = ?1"), jobId).one();
}

/**
 * What a job's runs before `leaseEpoch` spent: their high-water marks summed (USD, estimates included, and tokens),
 * zeros when none reported — the job's spend that a run under `leaseEpoch` adds to (policies/run-spend) or may spend
 * only the rest of (policies/job-allowance `assignmentAllowance`).
 */
export function earlierSpendMarks(sql: SqlStorage, jobId: string, leaseEpoch: number): RunSpend {
  return sql
    .exec<{ costUsd: number; tokens: number }>(CHARGED_SQL("job_id = ?1 AND lease_epoch < ?2"), jobId, leaseEpoch)
    .one();
}

/**
 * A closing run's insights with what it was charged, cost and tokens (core/run-accrual `raisedToMark`): a run
 * cancelled, stopped or timed out after progress reports, or completing with lower figures, had been stored at its
 * final report's (or none) while the budgets were charged the highest it reported — run history, track records and
 * experiments read too little, and its tokens read as none. With its estimate as charged (core/run-estimate-record).
 */
function runCost(sql: SqlStorage, job: Job, insights: Insights | undefined): Insights | undefined {
  const mark = runSpendMark(sql, job.id, job.leaseEpoch);
  const counted = withCountedUnpriced(sql, job.id, job.leaseEpoch, raisedToMark(insights, mark));
  return withEstimate(counted, mark.estimatedUsd);
}

/**
 * A run's insights with `unpricedTokens` (of its tokens, those no USD came for) the figure the coordinator counted for
 * run `jobId` × `leaseEpoch` (`run_unpriced`, policies/unpriced-spend — its `spend.unpricedTokens`): set when > 0,
 * else dropped. Why: the closed run is the record D1's history row is written from (outbox/records `enqueueRun`), and
 * a run closed with no final report (cancelled, stopped, expired) carried none — its row read as fully priced — while
 * an agent's own figure is not what was counted (core/unpriced caps it and keeps an older report's out).
 * Answers `insights` itself when it already says the counted figure.
 */
export function withCountedUnpriced(
  sql: SqlStorage,
  jobId: string,
  leaseEpoch: number,
  insights: Insights | undefined,
): Insights | undefined {
  const counted =
    one<{ tokens: number }>(
      sql,
      "SELECT tokens FROM run_unpriced WHERE job_id = ? AND lease_epoch = ?",
      jobId,
      leaseEpoch,
    )?.tokens ?? 0;
  if ((insights?.unpricedTokens ?? 0) === counted) return insights;
  const { unpricedTokens: _said, ...rest } = insights ?? {};
  return counted > 0 ? { ...rest, unpricedTokens: counted } : rest;
}

/**
 * Every run of a job, oldest first (by lease epoch), each with what the budget was charged for it so far (`spend`,
 * its `run_spend` marks): a running run's insights are stored only when it ends, so its cost showed nowhere. Its
 * `spend.unpricedTokens`: those of its tokens no USD came for (`run_unpriced`, policies/unpriced-spend), when any;
 * `spend.estimatedUsd`: what it was charged for them on top of `usd`, at settings prices (`run_estimate`), when any.
 */
export function listRuns(sql: SqlStorage, jobId: string): Run[] {
  return sql
    .exec<{ doc: string; usd: number | null; tokens: number | null; unpriced: number | null; est: number | null }>(
      `SELECT r.doc, s.cost_usd AS usd, s.tokens, u.tokens AS unpriced, e.usd AS est FROM runs r
       LEFT JOIN run_spend s ON s.job_id = r.job_id AND s.lease_epoch = r.lease_epoch
       LEFT JOIN run_unpriced u ON u.job_id = r.job_id AND u.lease_epoch = r.lease_epoch
       LEFT JOIN run_estimate e ON e.job_id = r.job_id AND e.lease_epoch = r.lease_epoch
       WHERE r.job_id = ? ORDER BY r.lease_epoch`,
      jobId,
    )
    .toArray()
    .map((r) => {
      const run = JSON.parse(r.doc) as Run;
      if (r.usd === null) return run;
      const unpriced = r.unpriced ? { unpricedTokens: r.unpriced } : {};
      const estimated = r.est ? { estimatedUsd: r.est } : {};
      return { ...run, spend: { usd: r.usd, tokens: r.tokens ?? 0, ...unpriced, ...estimated } };
    });
}
