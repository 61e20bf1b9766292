/**
 * @module durable-objects/coordinator/dispatch/lease-ops
 * Everything that ends or extends a lease other than a result: renew, release,
 * expiry and forced loss (cancel, revoke, requeue by an operator; a revoke's and a lapsed lease taken by force:
 * dispatch/forced-loss).
 *
 * FENCE — every factory mutation first calls `fence()`: it expires the lease if
 * it lapsed (lazy expiry: correctness never waits for the alarm), then refuses
 * an epoch that is not the job's current one with `409 fenced` (a factory that never held the job gets
 * `409 not_lease_holder` whatever the epoch: a refusal tells it nothing of that job), before
 * anything is written. A refusal rolls its unit back, so what it found is kept apart (runtime/kept-refusal `KeptRefusal`,
 * in a unit — or a batch frame's savepoint — of its own, at the refused unit's `now`):
 *   - a lapsed lease's expiry (the refusal always follows it: an expired job holds no lease). Rolled back, the job
 *     stayed assigned to a holder just told it lost it, its seat and serial key taken, until the alarm requeued it.
 *     Kept, it is the alarm's expiry (`expireLapsed`: the same events, exclusion, factory record, metric, breaker
 *     input and requeue/retry/dead letter), done once: it re-reads the job and expires only the lease at the epoch
 *     it found lapsed, still lapsed — the alarm, or a unit in between, having expired or re-leased it, it does
 *     nothing; and the alarm after it finds the lease gone. The answer is the one the refused unit computed;
 *   - a refused run report's spend (policies/late-spend `fenceReport`), charged before that expiry.
 *
 * EXCLUSION — a lease lost by expiry, release or rejection counts against
 * that holder for that job (core/exclusions): the router keeps the job away
 * from it for a backoff, so the next offer goes to another capable factory.
 * Losses that are no fault of the holder's and that it cannot repeat at will
 * (an operator's cancel or requeue, a revoked or deregistered factory, a push
 * that found the socket gone) do not count.
 *
 * SERIAL HOLD — a lease lost by force or by lapse keeps the job's serial key held
 * while the old holder stops its engine (dispatch/serial-holds, core/serial-holds).
 */
import { FencedError } from "../../../core/errors.ts";
import type { LossKind } from "../../../core/exclusions.ts";
import { decideExpiry, isLeaseLive, leaseExpiresAt } from "../../../core/lease.ts";
import { type Job, LEASED_STAGES, type RunResult } from "../../../core/model.ts";
import { stopsByAfterGrant } from "../../../core/serial-holds.ts";
import { grantedLeaseTtl, leaseTtlFor } from "../../../core/settings.ts";
import { settled } from "../dag/dependents.ts";
import { noteStop } from "../factories/notices.ts";
import { noteLeaseExpiry } from "../factories/registry.ts";
import { assertHolder, loadJob, moveJob, NO_LEASE, requireJob, touchJob } from "../jobs/rows.ts";
import { finishRun, holderAtEnd, ranBy } from "../jobs/runs.ts";
import { enqueueAudit, enqueueEvent } from "../outbox/records.ts";
import { endIfSpent } from "../policies/job-allowance.ts";
import { recordRetryExhausted } from "../policies/lessons.ts";
import { recordLeaseExpiries } from "../policies/metrics.ts";
import { chargeReport } from "../policies/run-spend.ts";
import { KeptRefusal } from "../runtime/kept-refusal.ts";
import { getSettings } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { forgetExclusions, recordLoss } from "./exclusions.ts";
import { forgetSerialHolds, holdSerialKey } from "./serial-holds.ts";

/**
 * `loaded`: the job as this unit just read it, if it did (saves a second read).
 * @throws FencedError (a KeptRefusal of one, keeping the expiry, when the lease had lapsed), NotFoundError;
 *   DomainError `not_lease_holder` (a factory that never held the job, whatever the epoch, or one that held an
 *   earlier lease naming the current epoch)
 */
export function fence(tx: Tx, jobId: string, factoryId: string, leaseEpoch: number, loaded?: Job): Job {
  let job = loaded ?? requireJob(tx.sql, jobId);
  // A factory that never held the job is told only that it does not hold it — never the job's epoch or stage, which
  // `fenced` names (a factory reads only the jobs it holds or held). A zombie, which held it, is still told `fenced`.
  if (job.holderFactoryId !== factoryId && !ranBy(tx.sql, job.id, factoryId)) assertHolder(job, factoryId, leaseEpoch);
  let lapsedAt: number | undefined; // the epoch of a lapsed lease this unit expired: kept after the refusal
  if (isLeased(job) && !isLeaseLive(job.leaseExpiresAt ?? 0, tx.now)) {
    lapsedAt = job.leaseEpoch;
    job = expireLease(tx, job);
  }
  if (leaseEpoch !== job.leaseEpoch || !isLeased(job)) {
    const refused = new FencedError(job.id, leaseEpoch, job.leaseEpoch, isLeased(job) ? undefined : job.stage);
    throw lapsedAt === undefined ? refused : new KeptRefusal(refused, [(t) => expireLapsed(t, jobId, lapsedAt)]);
  }
  assertHolder(job, factoryId, leaseEpoch);
  return job;
}

export function isLeased(job: Job): boolean {
  return LEASED_STAGES.includes(job.stage) && job.holderFactoryId !== undefined;
}

/**
 * RENEW (fenced): the lease runs for the job's governing TTL again (core/settings `leaseTtlFor`: manifest, else the
 * product's current one — so a settings change reaches running leases at their next renewal), or for `requested` (s)
 * if shorter. Returns the lease as renewed, `ttlSeconds` the TTL granted.
 */
export function renewLease(tx: Tx, jobId: string, factoryId: string, leaseEpoch: number, requested?: number) {
  const job = fence(tx, jobId, factoryId, leaseEpoch);
  // A renewal is the one frame a holder that stopped reporting still sends: the job's wall-time budget is checked
  // here too (policies/run-spend), so a run past it ends even if its agent never stops its engine. Ended: the
  // lease is gone (the answer says it expires now; a cancel is pushed, and its next frame is fenced).
  if (job.budget?.wallSeconds !== undefined && chargeReport(tx, job, { final: false })) {
    return { jobId, leaseEpoch, expiresAt: tx.now, ttlSeconds: 0 };
  }
  const ttlSeconds = grantedLeaseTtl(leaseTtlFor(job.manifest, getSettings(tx.sql)), requested);
  const expiresAt = leaseExpiresAt(tx.now, ttlSeconds);
  // The engine's bound never comes in: the holder may not hear this answer, and runs on by the grant it last heard.
  const leaseStopsBy = stopsByAfterGrant(job.leaseStopsBy, expiresAt, ttlSeconds);
  touchJob(tx, job, { leaseExpiresAt: expiresAt, leaseStopsBy });
  return { jobId, leaseEpoch, expiresAt, ttlSeconds };
}

/**
 * Give a job back voluntarily (a draining factory). The attempt is refunded —
 * nothing failed — and the checkpoint is kept so the next holder resumes.
 */
export function releaseLease(tx: Tx, jobId: string, factoryId: string, leaseEpoch: number): Job {
  return giveBack(tx, fence(tx, jobId, factoryId, leaseEpoch), "released by factory", {}, "released");
}

/**
 * Put a leased job back in the queue without blaming the job: the run is
 * closed `handed_back` (`why` its message; neutral, as a cancel was, but not one: a caller with a truer outcome —
 * a preemption, a budget stop — closes it first), the holder fenced out (epoch + 1), the attempt refunded,
 * the checkpoint kept. `changes` adds to that. With `loss`, the hand-back
 * counts against the holder: the job is kept away from it for a backoff.
 * Every automatic hand-back comes here (release, reject, a push to a closed socket, preemption, the product budget's
 * stop, revoke and deregister): a job whose runs have spent its usd/tokens budget is not queued but ended `failed`
 * `budget_exceeded` (policies/job-allowance `endIfSpent`), its dependents re-evaluated — queued, it waited for a
 * factory until some dispatch ended it, forever if none could run it, saying it waited for a seat.
 * @returns the job as saved: `queued`, or `failed` when it had nothing left
 */
export function giveBack(tx: Tx, job: Job, why: string, changes: Partial<Job> = {}, loss?: LossKind): Job {
  finishRun(tx, job, { outcome: "handed_back", message: why });
  const holder = job.holderFactoryId;
  const excluded = loss && holder ? recordLoss(tx, job.id, holder, loss) : undefined;
  enqueueEvent(tx, job.id, "lease.lost", {
    factoryId: holder,
    leaseEpoch: job.leaseEpoch,
    why,
    ...(excluded ? { excludedUntil: excluded.until } : {}),
  });
  const back = { ...changes, ...NO_LEASE, leaseEpoch: job.leaseEpoch + 1, attempt: Math.max(0, job.attempt - 1) };
  const spent = endIfSpent(tx, job, back); // nothing left to run it again on
  return spent ? settled(tx, spent) : moveJob(tx, job, "queued", back);
}

/**
 * EXPIRE — the holder stopped renewing. Requeue with epoch + 1 and the
 * checkpoint kept; once `maxAttempts` are used up, the job goes to
 * `dead_letter` (through `failed`, so history shows why; with the `retry_exhausted`
 * lesson a reported last failure leaves: policies/lessons). Its serial key stays
 * held while the old engine may still run (dispatch/serial-holds). A job whose runs
 * have spent its usd/tokens budget is not requeued: it ends `failed`
 * `budget_exceeded` (policies/job-allowance `endIfSpent`). The holder is
 * excluded from the job for a backoff, and the expiry goes on its record
 * (enough of them in a window make it `degraded`). A holder still connected is sent a `cancel` after the commit
 * (factories/notices; `tell` false: the caller sends it itself, before the seat's next `assign`): its engine would
 * otherwise spend on until its next report was fenced. `expiries`: a sweep's count of expiries per holder, which it
 * writes on each factory's record once (factories/registry `noteLeaseExpiry`) — the unit's own (Tx `expiries`, a
 * batch frame's) when none is given; without either, this one goes on the record at once.
 */
export function expireLease(tx: Tx, job: Job, tell = true, expiries = tx.expiries): Job {
  // A partitioned agent runs its engine on past the expiry for its lapse grace: the key waits for it to stop.
  holdSerialKey(tx, job);
  if (tell) noteStop(tx, job, "lease expired", "lease_expired");
  const holder = job.holderFactoryId;
  const run = finishRun(
    tx,
    job,
    { outcome: "timeout", message: "lease expired" },
    undefined,
    holderAtEnd(tx.sql, holder),
  );
  const excluded = holder ? recordLoss(tx, job.id, holder, "expired") : undefined;
  if (holder && expiries) expiries.set(holder, (expiries.get(holder) ?? 0) + 1);
  else if (holder) noteLeaseExpiry(tx, holder);
  enqueueEvent(tx, job.id, "lease.lost", {
    factoryId: holder,
    leaseEpoch: job.leaseEpoch,
    why: "expired",
    ...(excluded ? { excludedUntil: excluded.until } : {}),
    ...(run?.linkLostAt !== undefined ? { linkLostAt: run.linkLostAt } : {}),
    ...(run?.lastHeartbeatAt !== undefined ? { lastHeartbeatAt: run.lastHeartbeatAt } : {}),
  });
  const changes = { ...NO_LEASE, leaseEpoch: job.leaseEpoch + 1 };
  enqueueAudit(tx, "system", "lease.expired", job.id, { factoryId: job.holderFactoryId, epoch: job.leaseEpoch });
  if (decideExpiry(job) === "requeue") {
    const spent = endIfSpent(tx, job, changes); // nothing left to run a retry on
    return spent ? settled(tx, spent) : moveJob(tx, job, "queued", changes);
  }
  const lastResult: RunResult = {
    outcome: "timeout",
    message: `lease expired on attempt ${job.attempt} of ${job.maxAttempts}`,
  };
  const failed = moveJob(tx, job, "failed", { ...changes, lastResult });
  recordRetryExhausted(tx, failed, lastResult);
  return settled(tx, moveJob(tx, failed, "dead_letter")); // dependents re-evaluated (coordinator/dag/dependents)
}

/**
 * Expire every lease whose time is up, forget spent exclusions and serial holds. Idempotent. Each holder's record is
 * written once however many of its leases lapsed together (a host that went down with all its seats busy): it was
 * read, parsed and written whole once per job.
 */
export function expireDue(tx: Tx): number {
  forgetExclusions(tx);
  forgetSerialHolds(tx);
  const ids = tx.sql
    .exec<{ id: string }>(
      `SELECT id FROM jobs INDEXED BY jobs_by_lease
        WHERE lease_expires_at IS NOT NULL AND lease_expires_at <= ? AND stage IN ('assigned', 'building')`,
      tx.now,
    )
    .toArray();
  let expired = 0;
  const expiries = new Map<string, number>(); // holder → its leases this sweep expired
  for (const { id } of ids) {
    const job = lapsed(tx, id);
    if (!job) continue;
    expireLease(tx, job, true, expiries);
    expired += 1;
  }
  for (const [holder, count] of expiries) noteLeaseExpiry(tx, holder, count);
  recordLeaseExpiries(tx, expired);
  return ids.length;
}

/**
 * The expiry a fenced refusal found due (see FENCE), kept: the alarm's (`expireDue`) for this one job — unless the
 * lease at `leaseEpoch` is no longer held and lapsed at `tx.now` (expired already, re-leased, ended): then nothing.
 */
export function expireLapsed(tx: Tx, jobId: string, leaseEpoch: number): void {
  const job = lapsed(tx, jobId);
  if (!job || job.leaseEpoch !== leaseEpoch) return;
  expireLease(tx, job);
  recordLeaseExpiries(tx, 1);
}

/** `jobId` if it holds a lease that has run out at `tx.now`: one to expire. */
function lapsed(tx: Tx, jobId: string): Job | undefined {
  const job = loadJob(tx.sql, jobId);
  return job && isLeased(job) && !isLeaseLive(job.leaseExpiresAt ?? 0, tx.now) ? job : undefined;
}

/**
 * The earliest instant (ms) some lease runs out, for the alarm (one column of runtime/alarm's NEXT_DUE_SQL). Along
 * the lease index, whatever the planner's statistics (a coordinator never runs ANALYZE): without the hint it walked
 * every assigned job, after every unit.
 */
export const NEXT_LEASE_EXPIRY_SQL = `SELECT lease_expires_at AS t FROM jobs INDEXED BY jobs_by_lease
  WHERE lease_expires_at IS NOT NULL AND stage IN ('assigned', 'building') ORDER BY lease_expires_at LIMIT 1`;
