// core/lease `takenLeaseEnding`: a lease taken by force (revoke, preemption, budget stop, requeue) ends exactly as had
// the reaper run first — for every attempt, limit, expiry and instant: a lapsed lease (now ≥ its expiry, or none) is an
// expiry, its attempt counted and the job dead-lettered on its last; a live one is handed back, its attempt refunded
// (never below 0). A revoke or preemption of a lapsed lease refunded it, so a job whose leases kept lapsing ran on.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideExpiry, isLeaseLive, takenLeaseEnding } from "../../src/core/lease.ts";

const NOW = 1_700_000_000_000;

type Held = { attempt: number; maxAttempts: number; leaseExpiresAt?: number };
/** Where a job ends up: its stage and its attempt count. */
type End = { stage: "queued" | "dead_letter"; attempt: number };

/** The reaper at `now`: a lapsed lease expires (requeued or dead-lettered), a live one is left alone (undefined). */
function reap(job: Held, now: number): End | undefined {
  if (isLeaseLive(job.leaseExpiresAt ?? 0, now)) return undefined;
  return { stage: decideExpiry(job) === "requeue" ? "queued" : "dead_letter", attempt: job.attempt };
}

/** Something takes the lease at `now`, the rule deciding: where the job ends. */
function take(job: Held, now: number): End {
  const ending = takenLeaseEnding(job, now);
  if (ending.ending === "hand_back") return { stage: "queued", attempt: ending.attempt };
  return { stage: ending.decision === "requeue" ? "queued" : "dead_letter", attempt: ending.attempt };
}

const held = fc.record(
  {
    attempt: fc.integer({ min: 0, max: 20 }),
    maxAttempts: fc.integer({ min: 1, max: 20 }),
    leaseExpiresAt: fc.integer({ min: NOW - 120_000, max: NOW + 120_000 }),
  },
  { requiredKeys: ["attempt", "maxAttempts"] },
);

describe("takenLeaseEnding", () => {
  it("ends a taken lease as the reaper running first would have: its expiry if lapsed, else a refunded hand-back", () => {
    fc.assert(
      fc.property(held, fc.integer({ min: NOW - 120_000, max: NOW + 120_000 }), (job, now) => {
        // Had the reaper run first, a lapsed lease was its expiry, and nothing was left to take.
        const reaperFirst = reap(job, now) ?? { stage: "queued", attempt: Math.max(0, job.attempt - 1) };
        expect(take(job, now)).toEqual(reaperFirst);
      }),
    );
  });

  it("never refunds a lapsed lease's attempt, and never counts a live one's", () => {
    fc.assert(
      fc.property(held, fc.integer({ min: NOW - 120_000, max: NOW + 120_000 }), (job, now) => {
        const ending = takenLeaseEnding(job, now);
        const live = isLeaseLive(job.leaseExpiresAt ?? 0, now);
        expect(ending.ending).toBe(live ? "hand_back" : "expiry");
        expect(ending.attempt).toBe(live ? Math.max(0, job.attempt - 1) : job.attempt);
      }),
    );
  });

  it("at the expiry instant the lease is already the reaper's; a last attempt then dead-letters", () => {
    const job = { attempt: 3, maxAttempts: 3, leaseExpiresAt: NOW };
    expect(takenLeaseEnding(job, NOW - 1)).toEqual({ ending: "hand_back", attempt: 2 });
    expect(takenLeaseEnding(job, NOW)).toEqual({ ending: "expiry", decision: "dead_letter", attempt: 3 });
    expect(takenLeaseEnding({ attempt: 1, maxAttempts: 3 }, NOW)).toMatchObject({ ending: "expiry" });
  });
});
