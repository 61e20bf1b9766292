/**
 * @module durable-objects/coordinator/dependents
 * DAG gating inside one product: a job whose `deps` are not yet satisfied waits
 * in `blocked`; when a dependency settles, its dependents are re-checked and
 * moved to `queued` once `depsMode` (all | any) is met.
 */
import { depsState } from "../../core/dag.ts";
import type { Job, Stage } from "../../core/model.ts";
import { loadJob, moveJob } from "./job-rows.ts";
import { one, type Tx } from "./tx.ts";

export function depStages(sql: SqlStorage, deps: readonly string[]): Array<Stage | undefined> {
  return deps.map((id) => one<{ stage: Stage }>(sql, "SELECT stage FROM jobs WHERE id = ?", id)?.stage);
}

export function recordDeps(tx: Tx, job: Job): void {
  for (const dep of job.deps) {
    tx.sql.exec("INSERT OR IGNORE INTO job_deps(job_id, dep_id) VALUES (?, ?)", job.id, dep);
  }
}

/** Re-check every blocked job that depends on `depId`; queue the satisfied ones. */
export function unblockDependents(tx: Tx, depId: string): Job[] {
  const ids = tx.sql.exec<{ id: string }>("SELECT job_id AS id FROM job_deps WHERE dep_id = ?", depId).toArray();
  const unblocked: Job[] = [];
  for (const { id } of ids) {
    const job = loadJob(tx.sql, id);
    if (!job || job.stage !== "blocked") continue;
    if (depsState(job.depsMode, depStages(tx.sql, job.deps)) === "satisfied") {
      unblocked.push(moveJob(tx, job, "queued"));
    }
  }
  return unblocked;
}
