/**
 * @module durable-objects/coordinator/jobs/explain
 * Why a job is (or is not) routed to each factory, at `now`: the router's ranking and refusals over the current
 * fleet (core/router), the weights and urgency it used, and every exclusion remembered for the job. Read-only:
 * it answers the question without claiming anything. Also: whether the job was preempted, and whom it would
 * preempt now (coordinator/dispatch/preempt's decision, without the writes).
 */
import type { Factory, Job } from "../../../core/model.ts";
import { GATED_CODES, type PreemptionDecision } from "../../../core/preemption.ts";
import { type Candidate, DEFAULT_WEIGHTS, jobUrgency, type RouteContext, rankFactories } from "../../../core/router.ts";
import { reachableViews } from "../../../core/waiting-fleet.ts";
import type { Explanation, PreemptionView, RejectedCandidate } from "../../../shared/responses.ts";
import { exclusionsOf } from "../dispatch/exclusions.ts";
import { preemptionDecision } from "../dispatch/preempt.ts";
import { withLinks } from "../factories/fleet-view.ts";
import type { Tx } from "../runtime/tx.ts";
import { requireJob } from "./rows.ts";
import { fleetSnapshot, waitingReasonFor } from "./waiting.ts";

/**
 * The routing decision for job `jobId` as a claim at `tx.now` would make it; `connected` = the factories with a
 * live push socket (the only ones preemption can use).
 * @throws NotFoundError — no such job.
 */
export function explainJob(tx: Tx, jobId: string, connected: ReadonlySet<string> = new Set()): Explanation {
  const job = requireJob(tx.sql, jobId);
  // One snapshot for the ranking and the waiting reason, so the two cannot disagree: the factories as dispatch sees
  // them (core/waiting-fleet `reachableViews`) — one whose socket closed is down however fresh its last heartbeat,
  // one with a live socket is up however late its heartbeats (it was ranked first while the reason said "no factory
  // connected", and refused while the job was being pushed to it).
  const snap = fleetSnapshot(tx, connected);
  const ctx = snap.ctx;
  const policy = ctx.policyFor?.(job); // a guarded experiment's arm or winner (policies/experiments)
  const product = { ...DEFAULT_WEIGHTS, ...ctx.weights };
  // The queue's order uses the product's starvation weight for every job (dispatch/urgency-order), an arm's never.
  const weights = { ...product, ...policy?.weights, starvation: product.starvation };
  const factories = reachableViews(snap.factories, snap.connected, snap.draining);
  const { ranked, rejected: refused } = rankFactories(job, factories, ctx);
  const rejected = withLinkEnds(tx, refused, snap.factories);
  // Every remembered exclusion, also those whose backoff ended (their strikes still count).
  const exclusions = exclusionsOf(tx.sql, job.id);
  const waitingReason = waitingReasonFor(tx, job, snap);
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
    waitingReason,
    preemption: preemptionView(
      tx,
      job,
      ranked.length === 0 ? factories.filter((f) => connected.has(f.id)) : undefined,
      ctx,
      waitingReason !== null && GATED_CODES.has(waitingReason.code),
    ),
    routingPolicy: policy?.source ?? null,
  };
}

/**
 * Was `job` preempted, and would it preempt now? "Would" is judged when no factory ranks for it, over the
 * connected factories (`factories`), exactly as push dispatch would — which never reads a job a gate holds
 * (`gated`: core/preemption GATED_CODES), so neither is a victim named for one.
 */
function preemptionView(
  tx: Tx,
  job: Job,
  factories: Factory[] | undefined,
  ctx: RouteContext,
  gated: boolean,
): PreemptionView {
  const marks = { preemptedAt: job.preemptedAt ?? null, preemptedBy: job.preemptedBy ?? null };
  const decision: PreemptionDecision =
    job.stage !== "queued"
      ? { preempt: false, reason: "not_queued" }
      : gated
        ? { preempt: false, reason: "gated" }
        : factories || job.priority !== "critical"
          ? preemptionDecision(tx, job, factories ?? [], ctx)
          : { preempt: false, reason: "free_seat_fits" };
  if (!decision.preempt) return { ...marks, wouldPreempt: null, notBecause: decision.reason };
  const { victim, factoryId } = decision;
  return {
    ...marks,
    wouldPreempt: { victimId: victim.id, victimPriority: victim.priority, factoryId },
    notBecause: null,
  };
}

/**
 * `rejected` with, on each refused `factory_disconnected`, when its link ended (`disconnectedAt`, ms epoch or null),
 * read by the fleet view's own rule (factories/fleet-view `withLinks`, no socket counted: such a factory has none
 * work-ready) — explain said the link was lost and not since when. Read only when some factory is refused so.
 */
function withLinkEnds(tx: Tx, rejected: Candidate[], fleet: readonly Factory[]): RejectedCandidate[] {
  const lost = new Set(rejected.filter((c) => c.reasons.includes("factory_disconnected")).map((c) => c.factoryId));
  if (lost.size === 0) return rejected;
  const ends = new Map(
    withLinks(
      tx.sql,
      fleet.filter((f) => lost.has(f.id)),
      new Set(),
    ).map((f) => [f.id, f.disconnectedAt]),
  );
  return rejected.map((c) => (lost.has(c.factoryId) ? { ...c, disconnectedAt: ends.get(c.factoryId) ?? null } : c));
}
