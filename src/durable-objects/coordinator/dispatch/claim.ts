/**
 * @module durable-objects/coordinator/dispatch/claim
 * CLAIM — contract:
 *   inputs: factory id, the TTL the factory asked for (if any), `now`. The lease gets the job's governing
 *           TTL (its manifest's, else the product's: core/settings `leaseTtlFor`), or the factory's if shorter.
 *   guard:  the factory is active with a free seat; the job is `queued`, due
 *           (`not_before` passed), its serial gate is open (no running job and no
 *           run stopping after a forced lease loss holds it), and the factory
 *           passes the router's hard filter for it (which includes: this
 *           factory has not lost this job's lease too recently). Not a job that would be the claimant's
 *           half-open breaker trial while a closed factory can take it now (core/half-open-trial). Not a job below a cancel
 *           cascade still under way (dag/cancel-subtree `cascadeHold`); one with nothing left
 *           of its own budget is ended `budget_exceeded` instead (policies/job-allowance).
 *   walk:   only the capability buckets (jobs/buckets) whose every capability the factory holds, merged in
 *           urgency order (dispatch/urgency-order): the rest of the queue is never read; none at all while the
 *           product's budget is paused (no job could pass the filter).
 *   output: the most urgent such job moved to `assigned` with a new lease:
 *           holder = factory, `leaseEpoch` + 1, `attempt` + 1, a run opened. Over HTTP the answer also carries
 *           the job's lessons and its `allowance` (what is left of its usd/tokens budget after earlier runs).
 * It runs inside one synchronous SQLite transaction of the product's single
 * writer, so two claims can never take the same job.
 * No preemption here: a pull (HTTP-claim) factory has no pushed `cancel` to
 * stop a victim with, so only push dispatch (dispatch.ts, preempt.ts) preempts.
 */

import { holdsAll } from "../../../core/capability-key.ts";
import type { JobAllowance } from "../../../core/job-budget.ts";
import { leaseExpiresAt } from "../../../core/lease.ts";
import type { LessonRef } from "../../../core/lessons.ts";
import type { Factory, Job } from "../../../core/model.ts";
import { claimable, claimantView } from "../../../core/pull-claim.ts";
import { breakerHeldEngines } from "../../../core/route-filter.ts";
import type { RouteContext } from "../../../core/router.ts";
import { stopsByAfterGrant } from "../../../core/serial-holds.ts";
import { grantedLeaseTtl, leaseTtlFor } from "../../../core/settings.ts";
import type { Lease } from "../../../shared/responses.ts";
import { cascadeHold } from "../dag/cancel-subtree.ts";
import { listFactories, requireFactory, updateFactory } from "../factories/registry.ts";
import type { Bucket } from "../jobs/buckets.ts";
import { loadJob, moveJob } from "../jobs/rows.ts";
import { startRun } from "../jobs/runs.ts";
import { enqueueEvent } from "../outbox/records.ts";
import { breakerDetails } from "../policies/breaker-details.ts";
import { notClosedBreakers, noteAssignment, openBreakerKeys } from "../policies/breakers.ts";
import { dispatchPaused } from "../policies/budget.ts";
import { budgetPauseOf } from "../policies/budget-view.ts";
import { experimentPolicy, noteArmAssignment } from "../policies/experiments.ts";
import { dispatchAllowance } from "../policies/job-allowance.ts";
import { lessonsForAssignment } from "../policies/lesson-rows.ts";
import { recordDispatch } from "../policies/metrics.ts";
import { listRoutingRules } from "../policies/routing-rules.ts";
import { trackContext } from "../policies/track-records.ts";
import { getSettings } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { exclusionLookup } from "./exclusions.ts";
import { assignable } from "./frame-bound.ts";
import { expireDue } from "./lease-ops.ts";
import { liveSerialHolds } from "./serial-holds.ts";
import { dueJobIdsByUrgency, MAX_SCAN } from "./urgency-order.ts";

export type { Lease };

/**
 * Serial keys whose gate is closed at `now` (ms): held by a job that holds a lease, or by a run whose lease was taken
 * by force and whose factory may still be stopping it (dispatch/serial-holds).
 */
export function busySerialKeys(sql: SqlStorage, now: number): Set<string> {
  const rows = sql
    .exec<{ k: string }>(
      "SELECT DISTINCT serial_key AS k FROM jobs WHERE serial_key IS NOT NULL AND stage IN ('assigned', 'building')",
    )
    .toArray();
  const keys = new Set(rows.map((r) => r.k));
  for (const hold of liveSerialHolds(sql, now)) keys.add(hold.key);
  return keys;
}

/** The serial keys whose gate is closed for a pass: frozen by an operator, or held by a running or stopping job. */
export function closedSerialKeys(ctx: Pick<RouteContext, "busySerialKeys" | "frozenSerialKeys">): Set<string> {
  return new Set([...(ctx.busySerialKeys ?? []), ...(ctx.frozenSerialKeys ?? [])]);
}

export function routeContext(tx: Tx): RouteContext {
  const paused = dispatchPaused(tx); // first: past a period's boundary it rolls the budget over (policies/budget)
  const settings = getSettings(tx.sql);
  const breakerRows = notClosedBreakers(tx); // one read of the table feeds both the filter's keys and the hold's details
  return {
    now: tx.now,
    weights: settings.weights,
    busySerialKeys: busySerialKeys(tx.sql, tx.now),
    frozenSerialKeys: new Set(settings.frozenSerialKeys),
    budgetPaused: paused,
    ...(paused ? { budgetPause: budgetPauseOf(tx) } : {}), // the waiting words: who, spend, end
    openBreakers: openBreakerKeys(tx, breakerRows),
    breakers: breakerDetails(tx, breakerRows), // overflow: hold counts a breaker only where its factory could take the job
    overflow: settings.overflow,
    // Leases a factory lost on a job keep it away from that job for a backoff (core/exclusions).
    exclusionOf: exclusionLookup(tx.sql, tx.now),
    agingHorizonMs: settings.agingHorizonMinutes * 60_000,
    // The learned term and operator rules (issue 11): score adjustments only, after every filter.
    track: trackContext(tx),
    rules: listRoutingRules(tx.sql),
    // A guarded experiment's arm (or its winner) routes the jobs of its class (policies/experiments).
    policyFor: experimentPolicy(tx),
  };
}

/** A new lease on `job` for `factoryId`; `requestedTtl` (s) is what the factory asked for, honoured only if shorter. */
export function assignJob(tx: Tx, job: Job, factoryId: string, requestedTtl?: number): { job: Job; lease: Lease } {
  const ttlSeconds = grantedLeaseTtl(leaseTtlFor(job.manifest, getSettings(tx.sql)), requestedTtl);
  const expiresAt = leaseExpiresAt(tx.now, ttlSeconds);
  noteArmAssignment(tx, job); // the arm of a running experiment this job is routed by
  recordDispatch(tx, job); // latency from when it became due (queuedAt or notBefore) to this grant
  const next = moveJob(tx, job, "assigned", {
    holderFactoryId: factoryId,
    leaseEpoch: job.leaseEpoch + 1,
    leaseExpiresAt: expiresAt,
    leaseStopsBy: stopsByAfterGrant(undefined, expiresAt, ttlSeconds), // a new lease: its first grant only
    attempt: job.attempt + 1,
    notBefore: undefined,
    // The contract: a preemption's marks last until the job runs again (the cool-down reads the runs instead).
    preemptedAt: undefined,
    preemptedBy: undefined,
  });
  startRun(tx, next, factoryId);
  noteAssignment(tx, next, factoryId); // a half-open breaker's one trial: this run
  enqueueEvent(tx, next.id, "lease.granted", {
    factoryId,
    leaseEpoch: next.leaseEpoch,
    expiresAt,
    attempt: next.attempt,
  });
  return { job: next, lease: { jobId: next.id, leaseEpoch: next.leaseEpoch, expiresAt, ttlSeconds } };
}

export { dueJobIdsByUrgency };

/**
 * The most urgent job `factory` may run now, assigned to it (see CLAIM above), with the `allowance` its run carries;
 * undefined when none fits. A job below a cancel cascade still under way is skipped (dag/cancel-subtree
 * `cascadeHold`), and one with nothing left of its own budget is ended, not assigned (policies/job-allowance).
 */
export function claimFor(
  tx: Tx,
  factory: Factory,
  ttlSeconds?: number,
): { job: Job; lease: Lease; allowance?: JobAllowance } | undefined {
  if (factory.status !== "active" || factory.load >= factory.seats) return undefined;
  // A paused budget refuses every job (core/route-filter `budget_paused`): nothing to walk, nothing to build.
  if (dispatchPaused(tx)) return undefined;
  const ctx = routeContext(tx);
  // The claimant is demonstrably alive, whatever its last heartbeat said (core/pull-claim: the rule, pure).
  const live = claimantView(factory);
  // Only the buckets whose every capability the claimant holds: the rest of the queue is never read.
  const held = new Set(factory.capabilities);
  const admit = (b: Bucket) => holdsAll(held, b.capabilities);
  const starvation = ctx.weights?.starvation ?? 0;
  const closedKeys = closedSerialKeys(ctx);
  const below = cascadeHold(tx.sql);
  // Jobs of an engine whose breaker refuses the claimant are skipped unread, as a closed serial gate's are.
  const heldEngines = (b: Bucket) => breakerHeldEngines([live], ctx, b.capabilities);
  // A job that would be the claimant's half-open breaker trial waits for a closed factory that can take it now
  // (core/half-open-trial); the fleet is read only then, once.
  let fleet: Factory[] | undefined;
  const fleetNow = () => {
    fleet ??= listFactories(tx.sql, tx.now);
    return fleet;
  };
  for (const id of dueJobIdsByUrgency(tx, starvation, MAX_SCAN, ctx.agingHorizonMs, {
    admit,
    closedKeys,
    heldEngines,
  })) {
    const job = loadJob(tx.sql, id);
    if (!job || below?.(job) || !claimable(job, live, ctx, fleetNow)) continue;
    if (!assignable(tx, job)) continue; // too large for a factory's frame: ended (dispatch/frame-bound)
    const allowance = dispatchAllowance(tx, job);
    if (allowance) return { ...assignJob(tx, job, factory.id, ttlSeconds), ...allowance };
  }
  return undefined;
}

/**
 * A claim over HTTP: leases lapsed by now are expired first (so their jobs can be claimed again), and the
 * claim counts as the factory's heartbeat. Null when no job fits.
 * @throws NotFoundError — no such factory.
 */
export function claimOverHttp(
  tx: Tx,
  factoryId: string,
  ttlSeconds?: number,
): { job: Job; lease: Lease; lessons: LessonRef[]; allowance?: JobAllowance } | null {
  expireDue(tx);
  const factory = requireFactory(tx.sql, factoryId, tx.now);
  updateFactory(tx, factoryId, { lastHeartbeatAt: tx.now, polledAt: tx.now }); // a poll: core/factory-link
  const claimed = claimFor(tx, factory, ttlSeconds);
  if (!claimed) return null;
  // The same lessons and allowance a pushed `assign` would carry (policies/lesson-rows, policies/job-allowance).
  const { job, lease, allowance } = claimed;
  return { job, lease, lessons: lessonsForAssignment(tx, job), ...(allowance ? { allowance } : {}) };
}
