/**
 * @module durable-objects/coordinator/explain
 * Why a job is (or is not) routed to each factory, at `now`: the router's ranking and refusals over the current
 * fleet (core/router), the weights and urgency it used, and every exclusion remembered for the job. Read-only:
 * it answers the question without claiming anything.
 */
import { DEFAULT_WEIGHTS, jobUrgency, rankFactories } from "../../core/router.ts";
import type { Explanation } from "../../shared/responses.ts";
import { routeContext } from "./claim.ts";
import { exclusionsOf } from "./exclusions.ts";
import { listFactories } from "./factories.ts";
import { requireJob } from "./job-rows.ts";
import type { Tx } from "./tx.ts";

/**
 * The routing decision for job `jobId` as a claim at `tx.now` would make it.
 * @throws NotFoundError — no such job.
 */
export function explainJob(tx: Tx, jobId: string): Explanation {
  const job = requireJob(tx.sql, jobId);
  const ctx = routeContext(tx);
  const weights = ctx.weights ?? DEFAULT_WEIGHTS;
  const { ranked, rejected } = rankFactories(job, listFactories(tx.sql, tx.now), ctx);
  // Every remembered exclusion, also those whose backoff ended (their strikes still count).
  const exclusions = exclusionsOf(tx.sql, job.id);
  return {
    jobId: job.id,
    stage: job.stage,
    priority: job.priority,
    at: tx.now,
    weights,
    urgency: jobUrgency(job, tx.now, weights, ctx.agingHorizonMs),
    holderFactoryId: job.holderFactoryId ?? null,
    ranked,
    rejected,
    exclusions,
  };
}
