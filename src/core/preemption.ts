/**
 * @module core/preemption
 * Preemption (SPEC §5, issue "fleet policies" §2): whether a `critical` job that fits no free seat may stop a
 * running job, and which one — pure, deterministic, `now` passed in.
 *
 * The rule, in the order it is checked:
 *   1. only with `settings.preemption`, only for a `critical` incoming job;
 *   2. never when some candidate factory already has a free seat that fits the job (dispatch places it there);
 *   3. at most one eviction per critical job per cool-down: should the seat it took not hold (its factory refuses
 *      or drops it), it evicts no second victim until `PREEMPTION_COOLDOWN_MS` after the first;
 *   4. the victim runs on a factory that passes every hard filter for the incoming job except `no_free_seat`, and
 *      that one eviction gives a seat: not a factory running more jobs than its seats (its seat limit lowered by an
 *      operator, or its agent back with fewer seats while its leases ran on), where the victim's work would be lost
 *      for no seat — or the critical job pushed past the limit;
 *   5. never a victim of equal or higher priority (so a `critical` job is never preempted);
 *   6. never a victim preempted less than `PREEMPTION_COOLDOWN_MS` ago;
 *   7. among the rest: lowest priority, then least work lost (the most recent checkpoint, else the most recent
 *      update), then the lower id.
 */

import { runWouldBeTrial } from "./half-open-trial.ts";
import { type Factory, type Job, LEASED_STAGES } from "./model.ts";
import { filterReasons, PRIORITY_VALUE, type RouteContext } from "./router.ts";
import type { WaitingCode } from "./waiting-reason.ts";

/**
 * Waiting reasons of a queued job that push dispatch never reads past, so it preempts nobody for the job whatever
 * its priority (`PreemptionSkip` "gated"): a frozen serial key and a job whose retry backoff has not ended are not
 * scanned (dispatch/urgency-order), a paused budget gives it no allowance, and a cancelled ancestor's cascade
 * reaches it first (dispatch/plan).
 */
export const GATED_CODES: ReadonlySet<WaitingCode> = new Set<WaitingCode>([
  "serial_key_frozen",
  "retry_backoff",
  "budget_paused",
  "ancestor_cancelled",
]);

/**
 * 10 min: a job evicted once gets at least this long on its next seat before it can be evicted again. Long enough
 * for a run to make real progress (and take a WIP checkpoint at the agent's default 60 s cadence several times over),
 * short enough that a burst of critical work an hour later can still claim the seat.
 */
export const PREEMPTION_COOLDOWN_MS = 10 * 60 * 1000;

/** A factory the incoming job could use, and the jobs it is running now. */
export interface PreemptionCandidate {
  factory: Factory;
  running: readonly Job[];
}

export interface PreemptionInput {
  incoming: Job;
  candidates: readonly PreemptionCandidate[];
  /** settings.preemption */
  enabled: boolean;
  /** Router context of the decision (filters, `now` in ms). */
  ctx: RouteContext;
  /**
   * When each job was last preempted (ms), if ever; defaults to the job's own `preemptedAt`. The coordinator
   * passes the time of the last run it closed as preempted, since assignment clears `preemptedAt`.
   */
  lastPreemptedAt?: (job: Job) => number | undefined;
  /** This critical job already evicted a job within the cool-down (`lastEvictionAt`): no second eviction for it. */
  evictionInFlight?: boolean;
}

export type PreemptionDecision =
  | { preempt: true; victim: Job; factoryId: string }
  | { preempt: false; reason: PreemptionSkip };

export type PreemptionSkip =
  | "not_queued"
  | "gated"
  | "disabled"
  | "not_critical"
  | "free_seat_fits"
  | "eviction_in_flight"
  | "no_capable_factory"
  | "no_eligible_victim";

/** Every hard filter failure of `factory` for `job` except the free-seat one. */
export function fitsButForSeat(job: Job, factory: Factory, ctx: RouteContext): boolean {
  return filterReasons(job, factory, ctx).every((r) => r === "no_free_seat");
}

/** Work lost by stopping `job` now grows with the time since its last checkpoint (else its last update). */
function lastSaved(job: Job): number {
  return job.checkpoint?.at ?? job.updatedAt;
}

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Decide whether `input.incoming` preempts, and whom. Never throws; the answer says why not when it does not.
 * The victim is one of the candidates' `running` jobs in a leased stage (assigned, building): those hold a seat
 * and have a `→ queued` edge.
 */
export function decidePreemption(input: PreemptionInput): PreemptionDecision {
  const { incoming, candidates, ctx } = input;
  if (!input.enabled) return { preempt: false, reason: "disabled" };
  if (incoming.priority !== "critical") return { preempt: false, reason: "not_critical" };
  const capable = candidates.filter((c) => fitsButForSeat(incoming, c.factory, ctx));
  if (capable.some((c) => c.factory.load < c.factory.seats)) return { preempt: false, reason: "free_seat_fits" };
  if (input.evictionInFlight) return { preempt: false, reason: "eviction_in_flight" };
  if (capable.length === 0) return { preempt: false, reason: "no_capable_factory" };
  const last = input.lastPreemptedAt ?? ((j: Job) => j.preemptedAt);
  const rank = PRIORITY_VALUE[incoming.priority];
  const pool: Array<{ victim: Job; factoryId: string; trial: boolean }> = [];
  for (const c of capable) {
    if (c.factory.load > c.factory.seats) continue; // still full after one eviction (rule 4)
    for (const job of c.running) {
      if (job.id === incoming.id || !LEASED_STAGES.includes(job.stage)) continue;
      if (PRIORITY_VALUE[job.priority] >= rank) continue;
      const at = last(job);
      if (at !== undefined && ctx.now - at < PREEMPTION_COOLDOWN_MS) continue;
      pool.push({ victim: job, factoryId: c.factory.id, trial: runWouldBeTrial(incoming, c.factory, ctx) });
    }
  }
  // A seat on a factory whose half-open breaker would make the job its trial is taken last (core/half-open-trial).
  pool.sort(
    (a, b) =>
      Number(a.trial) - Number(b.trial) ||
      PRIORITY_VALUE[a.victim.priority] - PRIORITY_VALUE[b.victim.priority] ||
      lastSaved(b.victim) - lastSaved(a.victim) ||
      byId(a.victim.id, b.victim.id),
  );
  const best = pool[0];
  return best
    ? { preempt: true, victim: best.victim, factoryId: best.factoryId }
    : { preempt: false, reason: "no_eligible_victim" };
}
