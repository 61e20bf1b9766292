/**
 * @module durable-objects/coordinator/dispatch/preempt
 * PREEMPT — contract:
 *   inputs: a `critical` job no free seat of a connected factory fits; the connected factories; `now`.
 *   guard:  core/preemption decides (settings.preemption on, no free seat fits it — a live HTTP poller's included,
 *           which claims it next —, the victim's factory fits the job but for the seat,
 *           victim of lower priority, outside its cool-down, no other eviction by this job within the cool-down).
 *   output: in the caller's atomic unit — the victim's lease taken (epoch + 1, run closed `preempted`
 *           "preempted by <id>", retryable — not `cancelled`, which an operator's cancel is —, attempt refunded, checkpoint kept, `lease.lost` + `job.preempted` events, audit
 *           `job.preempted`), the victim requeued with `preemptedAt`/`preemptedBy`, and the seat it held handed to
 *           the critical job (by the caller, which assigns it as it would on a free seat). A victim whose lease
 *           had lapsed is expired instead (dispatch/forced-loss: attempt counted, no `job.preempted`), its seat
 *           handed over all the same, its `cancel` saying "lease expired".
 * Only push dispatch preempts: a pull (HTTP-claim) factory has no channel to be told to stop, so claim.ts never does.
 */
import type { Factory, Job } from "../../../core/model.ts";
import {
  decidePreemption,
  fitsButForSeat,
  PREEMPTION_COOLDOWN_MS,
  type PreemptionDecision,
} from "../../../core/preemption.ts";
import type { RouteContext } from "../../../core/router.ts";
import type { CancelCode } from "../../../shared/protocol-lease-notices.ts";
import { livePollers, readFactory } from "../factories/registry.ts";
import { loadJob, touchJob } from "../jobs/rows.ts";
import { finishRun } from "../jobs/runs.ts";
import { enqueueAudit, enqueueEvent } from "../outbox/records.ts";
import { getSettings } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { expireIfLapsed } from "./forced-loss.ts";
import { giveBack } from "./lease-ops.ts";
import { holdSerialKey } from "./serial-holds.ts";

/** What the victim's factory must be told, before it is pushed the critical job. */
export interface Eviction {
  factoryId: string;
  jobId: string;
  /** The victim's epoch before the preemption: the one its holder runs under (the `cancel` frame carries it). */
  leaseEpoch: number;
  /** The `cancel` frame's reason: "preempted", or "lease expired" for a victim whose lease had lapsed. */
  reason: string;
  /** The `cancel` frame's code (shared/protocol-lease-notices): what the agent says of the stop. */
  code: CancelCode;
}

/** The run message, `lastResult.message` and `lease.lost.why` of a preempted job: the contract's wording. */
export const preemptedMessage = (byJobId: string): string => `preempted by ${byJobId}`;

function runningOn(tx: Tx, factoryId: string): Job[] {
  return tx.sql
    .exec<{ id: string }>(
      "SELECT id FROM jobs WHERE holder_factory_id = ? AND stage IN ('assigned', 'building') ORDER BY id",
      factoryId,
    )
    .toArray()
    .flatMap(({ id }) => loadJob(tx.sql, id) ?? []);
}

/**
 * When `jobId` was last preempted (ms): the end of its latest run closed as preempted. Read from the runs, not
 * the job, because the next assignment clears `preemptedAt` (the contract) while the cool-down must outlive it. A run
 * recorded before `preempted` was an outcome reads `cancelled` "preempted by …": it counts too.
 */
export function lastPreemptedAt(sql: SqlStorage, jobId: string): number | undefined {
  const row = sql
    .exec<{ t: number | null }>(
      `SELECT MAX(ended_at) AS t FROM runs
        WHERE job_id = ? AND (outcome = 'preempted'
          OR (outcome = 'cancelled' AND json_extract(doc, '$.result.message') LIKE 'preempted by %'))`,
      jobId,
    )
    .one();
  return row.t ?? undefined;
}

/**
 * What core/preemption says for `job` over `factories` now, reading the running jobs, the cool-down record and the
 * evictions in flight. Read-only (explain uses it for "would preempt").
 */
export function preemptionDecision(
  tx: Tx,
  job: Job,
  factories: readonly Factory[],
  ctx: RouteContext,
): PreemptionDecision {
  if (job.priority !== "critical") return { preempt: false, reason: "not_critical" }; // before any read
  const enabled = getSettings(tx.sql).preemption;
  if (!enabled) return { preempt: false, reason: "disabled" };
  // A live HTTP poller's free seat that fits takes the job at its next claim: no run is stopped for it (core/preemption
  // "free_seat_fits"). It lent no victims either: a poller has no channel to be told to stop one.
  const pollers = livePollers(tx.sql, tx.now).map((factory) => ({ factory, running: [] }));
  return decidePreemption({
    incoming: job,
    candidates: [...factories.map((factory) => ({ factory, running: runningOn(tx, factory.id) })), ...pollers],
    enabled,
    ctx,
    lastPreemptedAt: (j) => lastPreemptedAt(tx.sql, j.id),
    evictionInFlight: job.lastEvictionAt !== undefined && tx.now - job.lastEvictionAt < PREEMPTION_COOLDOWN_MS,
  });
}

/**
 * If `job` may preempt on one of `factories` (the connected, active ones, full or not), take the victim's lease
 * and requeue it; returns the eviction (for the `cancel` frame), the factory whose seat is now free, and `job`
 * as saved with its `lastEvictionAt` (assign that one; a lapsed victim's expiry evicted nothing: `job` as it was).
 * Writes nothing and returns undefined when the rule says no. No `factory`: the victim was stopped, but its expiry
 * left the seat no use to `job` (a breaker it tripped, a quarantine) — the job waits.
 */
export function preemptFor(
  tx: Tx,
  job: Job,
  factories: readonly Factory[],
  ctx: RouteContext,
): { eviction: Eviction; factory?: Factory; job: Job } | undefined {
  const decision = preemptionDecision(tx, job, factories, ctx);
  if (!decision.preempt) return undefined;
  const { victim, factoryId } = decision;
  const factory = factories.find((f) => f.id === factoryId)!;
  const eviction = { factoryId, jobId: victim.id, leaseEpoch: victim.leaseEpoch };
  // A victim whose lease lapsed is the reaper's: expired, its attempt counted — not preempted with it refunded
  // (dispatch/forced-loss). Its seat is free all the same; the cancel still goes before the `assign` (not a notice).
  if (expireIfLapsed(tx, victim, false)) {
    const expired: Eviction = { ...eviction, reason: "lease expired", code: "lease_expired" };
    // That expiry closed the victim's run `timeout`, a failure of its engine, in this unit: it may have tripped the
    // breaker the job would run under (added to this pass's open set: policies/breakers) or quarantined the factory.
    // The job runs on that seat only if it still would have been given it; the victim is stopped either way.
    const status = readFactory(tx.sql, factoryId)?.status ?? factory.status;
    return fitsButForSeat(job, { ...factory, status }, ctx)
      ? { eviction: expired, factory, job }
      : { eviction: expired, job };
  }
  const why = preemptedMessage(job.id);
  holdSerialKey(tx, victim); // the victim's key stays held while its factory stops it (dispatch/serial-holds)
  const result = { outcome: "preempted", message: why, retryable: true } as const;
  finishRun(tx, victim, result); // as what it was (giveBack's `handed_back` close then finds no open run)
  giveBack(tx, victim, why, { preemptedAt: tx.now, preemptedBy: job.id, lastResult: result });
  enqueueEvent(tx, victim.id, "job.preempted", { by: job.id, factoryId, leaseEpoch: victim.leaseEpoch });
  enqueueAudit(tx, "system", "job.preempted", victim.id, { by: job.id, factoryId, epoch: victim.leaseEpoch });
  const saved = touchJob(tx, job, { lastEvictionAt: tx.now });
  return { eviction: { ...eviction, reason: "preempted", code: "preempted" }, factory, job: saved };
}
