/**
 * @module durable-objects/coordinator/policies/experiments
 * Guarded routing experiments (issue 11 part 4; seed 004 phase 5) in `experiments` and `experiment_jobs`, over
 * core/experiment. An operator starts (`routing.experiment.start`) and stops (`routing.experiment.stop`) one, both
 * audited; at most one live (running or concluded) experiment per job class.
 *
 * - `experimentPolicy` is the router's `policyFor` (dispatch/claim `routeContext`): a job of a running experiment's
 *   class is ranked by its arm's policy; of a concluded one, by the winner's.
 * - `noteArmAssignment` records the arm of each job as it is assigned (dispatch/claim `assignJob`).
 * - `noteRunForExperiment` counts the first counted run of each recorded job in its arm — one outcome per job, its
 *   retries not (jobs/runs `finishRun`, the same unit as the track record; what counts is core/run-counts
 *   `countsAs`); when the guardrail trips, the experiment concludes there and then, audited
 *   `routing.experiment.conclude` by `system` with the decision.
 */

import { DomainError, NotFoundError } from "../../../core/errors.ts";
import type { JobPolicy } from "../../../core/experiment.ts";
import {
  armRules,
  type Decision,
  type Experiment,
  type ExperimentSpec,
  newExperiment,
  observe,
  routingArm,
} from "../../../core/experiment.ts";
import { assertMeaningfulSpec } from "../../../core/experiment-spec.ts";
import type { Job } from "../../../core/model.ts";
import { countsAs } from "../../../core/run-counts.ts";
import { canonicalJobClass } from "../../../core/track-record.ts";
import { classOfJob } from "../../../core/track-term.ts";
import type { Run } from "../../../shared/responses.ts";
import { columnsOf, execute } from "../../sql-statements.ts";
import { requireRoutableFactory } from "../factories/registry.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { getSettings } from "../runtime/meta.ts";
import { newId, one, type Tx } from "../runtime/tx.ts";
import { listRoutingRules } from "./routing-rules.ts";

/** 50 stored experiments: a long-lived product's history of them; the oldest ended one is dropped beyond that. */
export const MAX_EXPERIMENTS = 50;

/**
 * 20 live (running or concluded) experiments, one per class: more classes than a fleet has with the traffic to
 * conclude one at a time. Every dispatch pass reads them all (`experimentPolicy`), each with its ≤ 120-point series:
 * unbounded, one per class typed, they were a cost on every pass that nothing capped.
 */
export const MAX_LIVE_EXPERIMENTS = 20;

const LIVE = "status IN ('running', 'concluded')";

/**
 * Per unit (its `tx`): the running experiments by class, as the pass's `experimentPolicy` read them — what
 * `noteArmAssignment` then reads again for every job the pass assigns (one statement a job: bench/README, forty-third
 * pass). Exact: every write of the table goes through `saveExperiment`, which drops it; one live experiment per class.
 */
const runningRead = new WeakMap<Tx, ReadonlyMap<string, Experiment>>();

/** Stores experiment `e` (insert or replace), dropping the unit's read of the running ones. */
export function saveExperiment(tx: Tx, e: Experiment): void {
  runningRead.delete(tx);
  execute(
    tx.sql,
    "INSERT OR REPLACE INTO experiments(id, job_class, status, started_at, doc) VALUES (?, ?, ?, ?, ?)",
    e.id,
    e.jobClass,
    e.status,
    e.startedAt,
    JSON.stringify(e),
  );
}

/** Every stored experiment, newest first. */
export function listExperiments(sql: SqlStorage): Experiment[] {
  return sql
    .exec<{ doc: string }>("SELECT doc FROM experiments ORDER BY started_at DESC, id DESC")
    .toArray()
    .map((r) => JSON.parse(r.doc) as Experiment);
}

/** @throws NotFoundError — no such experiment. */
export function requireExperiment(sql: SqlStorage, id: string): Experiment {
  const row = one<{ doc: string }>(sql, "SELECT doc FROM experiments WHERE id = ?", id);
  if (!row) throw new NotFoundError("experiment", id);
  return JSON.parse(row.doc) as Experiment;
}

/**
 * Starts an experiment by `actor`, audited `routing.experiment.start`.
 * @throws DomainError validation_failed — a success_rate margin ≥ 1 (core/experiment-spec). NotFoundError — an arm's
 *         rule names an unknown factory; DomainError conflict — or a revoked one (factories/registry `requireRoutableFactory`). DomainError conflict — the class already has a live experiment.
 *         DomainError limit_exceeded — MAX_LIVE_EXPERIMENTS are live.
 */
export function startExperiment(tx: Tx, given: ExperimentSpec, actor: string): Experiment {
  // One live experiment per class, whatever order its capabilities were typed in; stored as jobs spell it.
  const spec = { ...given, jobClass: canonicalJobClass(given.jobClass) };
  // Over the product's weights and rules as they are now: an arm pinning a weight to the product's value, or
  // preferring a factory the product already prefers (rules add up clamped), routes as `{}`.
  assertMeaningfulSpec(spec, getSettings(tx.sql).weights, listRoutingRules(tx.sql));
  for (const arm of [spec.arms.A, spec.arms.B])
    for (const r of arm.rules ?? []) requireRoutableFactory(tx.sql, r.factoryId, tx.now);
  const live = one<{ id: string }>(tx.sql, `SELECT id FROM experiments WHERE job_class = ? AND ${LIVE}`, spec.jobClass);
  if (live) {
    throw new DomainError("conflict", `job class ${spec.jobClass} already has experiment ${live.id}; stop it first`, {
      experimentId: live.id,
    });
  }
  const running = tx.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM experiments WHERE ${LIVE}`).one().n;
  if (running >= MAX_LIVE_EXPERIMENTS) {
    throw new DomainError(
      "limit_exceeded",
      `at most ${MAX_LIVE_EXPERIMENTS} live experiments (running or concluded); stop one first`,
      { max: MAX_LIVE_EXPERIMENTS },
    );
  }
  const e = newExperiment(newId("ex", tx.now), spec, tx.now, actor);
  saveExperiment(tx, e);
  execute(
    tx.sql,
    `DELETE FROM experiments WHERE id IN (SELECT id FROM experiments WHERE NOT ${LIVE}
       ORDER BY started_at DESC, id DESC LIMIT -1 OFFSET ${MAX_EXPERIMENTS})`,
  );
  enqueueAudit(tx, actor, "routing.experiment.start", e.id, {
    jobClass: e.jobClass,
    split: e.split,
    arms: e.arms,
    guardrail: e.guardrail,
  });
  return e;
}

/**
 * Stops experiment `id` by `actor` (running: no winner; concluded: the winner's policy stops routing the class),
 * audited `routing.experiment.stop`. Stopping a stopped experiment answers it unchanged (`changed: false`: its first
 * stop's decision and time kept, nothing audited). `why`: the decision of a running one (default: stopped by `actor`).
 * @throws NotFoundError — no such experiment.
 */
export function stopExperiment(
  tx: Tx,
  id: string,
  actor: string,
  why?: Decision,
): { experiment: Experiment; changed: boolean } {
  const e = requireExperiment(tx.sql, id);
  if (e.status === "stopped") return { experiment: e, changed: false };
  const next: Experiment = {
    ...e,
    status: "stopped",
    decision: e.decision ??
      why ?? { at: tx.now, by: "operator", reason: `stopped by ${actor} before the guardrail decided` },
  };
  saveExperiment(tx, next);
  execute(tx.sql, "DELETE FROM experiment_jobs WHERE experiment_id = ?", id);
  // A concluded one keeps its guardrail's decision: the audit says why it was stopped.
  enqueueAudit(tx, actor, "routing.experiment.stop", id, {
    was: e.status,
    decision: next.decision,
    ...(why ? { why: why.reason } : {}),
  });
  return { experiment: next, changed: true };
}

/** The live experiments by job class, read once on first use: the router's `policyFor`. */
export function experimentPolicy(tx: Tx): (job: Pick<Job, "id" | "requires" | "manifest">) => JobPolicy | undefined {
  let byClass: Map<string, Experiment> | undefined;
  return (job) => {
    if (!byClass) {
      const live = tx.sql
        .exec<{ doc: string }>(`SELECT doc FROM experiments WHERE ${LIVE}`)
        .toArray()
        .map((r) => JSON.parse(r.doc) as Experiment);
      byClass = new Map(live.map((e) => [e.jobClass, e]));
      runningRead.set(tx, new Map(live.filter((e) => e.status === "running").map((e) => [e.jobClass, e])));
    }
    if (byClass.size === 0) return undefined;
    const e = byClass.get(classOfJob(job));
    const arm = e ? routingArm(e, job.id) : undefined;
    if (!e || !arm) return undefined;
    const source = { experimentId: e.id, arm, as: e.status === "running" ? "arm" : "winner" } as const;
    return { ...(e.arms[arm].weights ? { weights: e.arms[arm].weights } : {}), rules: armRules(e, arm), source };
  };
}

/**
 * `experiment_jobs.counted` (1: the job's outcome is in its arm) and `counted_epoch` (the lease epoch of the run
 * counted) on a table made before them: rows from then count 0, and name no run (a late cost revises nothing).
 */
export function applyExperimentJobColumns(sql: SqlStorage): void {
  const columns = columnsOf(sql, "experiment_jobs");
  if (!columns.has("counted"))
    execute(sql, "ALTER TABLE experiment_jobs ADD COLUMN counted INTEGER NOT NULL DEFAULT 0");
  if (!columns.has("counted_epoch")) execute(sql, "ALTER TABLE experiment_jobs ADD COLUMN counted_epoch INTEGER");
}

/** `job` was just assigned: if its class has a running experiment, remember the arm it was routed by (first wins). */
export function noteArmAssignment(tx: Tx, job: Pick<Job, "id" | "requires" | "manifest">): void {
  const e = runningRead.has(tx) ? runningRead.get(tx)?.get(classOfJob(job)) : runningOf(tx.sql, classOfJob(job));
  if (!e) return;
  const arm = routingArm(e, job.id);
  if (arm)
    execute(
      tx.sql,
      "INSERT OR IGNORE INTO experiment_jobs(job_id, experiment_id, arm) VALUES (?, ?, ?)",
      job.id,
      e.id,
      arm,
    );
}

/** The running experiment of `jobClass`, read (none: undefined). */
function runningOf(sql: SqlStorage, jobClass: string): Experiment | undefined {
  const row = one<{ doc: string }>(
    sql,
    "SELECT doc FROM experiments WHERE job_class = ? AND status = 'running'",
    jobClass,
  );
  return row ? (JSON.parse(row.doc) as Experiment) : undefined;
}

/**
 * A run of `run.jobId` ended: if it is the job's first counted run, count it in its arm; conclude the experiment when
 * the guardrail trips. One outcome per job: the job's row is marked `counted`, so its retries are not. Why: the
 * guardrail's statistics take each outcome as independent, and a job's retries are not — a job that fails for a
 * reason of its own fails again. Counting every run, identical arms where 3 jobs in 10 could never pass and the
 * others passed 9 runs in 10 were concluded in 11 % of A/A experiments at a stated 5 % (15 % with 5 attempts).
 */
export function noteRunForExperiment(tx: Tx, run: Run): void {
  const ok = run.result ? countsAs(run.result.outcome, run.result.retryable) : undefined;
  if (ok === undefined) return;
  const row = one<{ experiment_id: string; arm: "A" | "B" }>(
    tx.sql,
    "SELECT experiment_id, arm FROM experiment_jobs WHERE job_id = ? AND counted = 0",
    run.jobId,
  );
  if (!row) return;
  // Kept, marked: a retry's assignment (INSERT OR IGNORE) must not record it afresh; by run (policies/closed-run-raise).
  execute(
    tx.sql,
    "UPDATE experiment_jobs SET counted = 1, counted_epoch = ? WHERE job_id = ?",
    run.leaseEpoch,
    run.jobId,
  );
  const e = requireExperiment(tx.sql, row.experiment_id);
  const next = observe(e, row.arm, ok, run.insights?.costUsd, tx.now);
  if (next === e) return;
  saveExperiment(tx, next);
  if (next.status !== "concluded") return;
  execute(tx.sql, "DELETE FROM experiment_jobs WHERE experiment_id = ?", e.id);
  enqueueAudit(tx, "system", "routing.experiment.conclude", e.id, { decision: next.decision, counts: next.counts });
}
