/**
 * @module durable-objects/coordinator/dispatch/held-leases
 * The live leases a factory holds, as `welcome` hands them back on (re)connection (factories/link): each with what
 * its `assign` carried — lessons, allowance — and what the lease's run has reported and when it started, so an
 * engine restarted within the lease resumes under the same limits. Apart from dispatch/lease-ops, which ends or
 * extends leases: this only reads them.
 */
import type { RunSpent } from "../../../core/job-budget.ts";
import type { Job } from "../../../core/model.ts";
import type { Assignment } from "../../../shared/protocol.ts";
import { requireJob } from "../jobs/rows.ts";
import { runSpendMark, runStartedAt } from "../jobs/runs.ts";
import { assignmentAllowance } from "../policies/job-allowance.ts";
import { lessonsForAssignment } from "../policies/lesson-rows.ts";
import type { Tx } from "../runtime/tx.ts";

/** The live leases a factory holds, as the push protocol describes them (for `welcome`). */
export function heldAssignments(tx: Tx, factoryId: string): Assignment[] {
  return tx.sql
    .exec<{ id: string }>(
      "SELECT id FROM jobs WHERE holder_factory_id = ? AND stage IN ('assigned', 'building') AND lease_expires_at > ? ORDER BY id",
      factoryId,
      tx.now,
    )
    .toArray()
    .map(({ id }) => {
      const job = requireJob(tx.sql, id);
      const expiresAt = job.leaseExpiresAt ?? tx.now;
      return {
        job,
        leaseEpoch: job.leaseEpoch,
        expiresAt,
        ttlSeconds: Math.max(1, Math.ceil((expiresAt - tx.now) / 1000)),
        // A factory that restarts the engine of a resumed lease hands it the same lessons again.
        lessons: lessonsForAssignment(tx, job),
        // The same allowance as its `assign` (the runs before this lease's): a restarted engine is held to it again.
        ...assignmentAllowance(tx, job, job.leaseEpoch),
        // And what this run has reported: a fresh engine's count starts at 0, under this run's high-water mark, so
        // its spend went uncharged until it passed that mark (an agent restarted within the lease starts one).
        runSpent: leaseRunSpent(tx, job),
        // And when the run started: `wallSeconds` bounds the run, so a fresh engine gets only what is left of it.
        ...optionalStart(runStartedAt(tx.sql, job.id, job.leaseEpoch)),
      };
    });
}

/**
 * What `job`'s live run has reported so far (jobs/runs `runSpendMark`), as `welcome` sends it: USD, tokens in + out,
 * and of them the written part when it is known (≤ tokens; absent: unknown, the agent then says `baseTokens`).
 */
function leaseRunSpent(tx: Tx, job: Job): RunSpent {
  const mark = runSpendMark(tx.sql, job.id, job.leaseEpoch);
  const written = mark.tokensOut === undefined ? {} : { tokensOut: Math.min(mark.tokensOut, mark.tokens) };
  return { usd: mark.costUsd, tokens: mark.tokens, ...written };
}

/** `{runStartedAt}` when the lease's run has a start (every claimed lease opens one: jobs/runs `startRun`). */
function optionalStart(at: number | undefined): { runStartedAt?: number } {
  return at === undefined ? {} : { runStartedAt: at };
}
