// Per-holder exclusion with backoff: each lost lease keeps the job from that factory for a growing, capped time,
// strikes are forgotten after a day, the router filters an excluded factory, and re-offers stay bounded.
import { describe, expect, it } from "vitest";
import {
  EXCLUSION_BACKOFF,
  type Exclusion,
  exclusionDelayMs,
  isExcluded,
  LOSS_KINDS,
  type LossKind,
  nextExclusion,
  STRIKE_MEMORY_MS,
} from "../../src/core/exclusions.ts";
import type { Factory, Job } from "../../src/core/model.ts";
import { pickJobForFactory } from "../../src/core/pull-claim.ts";
import { planAssignments, rankFactories, scoreCandidate } from "../../src/core/router.ts";

const NOW = 1_700_000_000_000;
const loss = (kind: LossKind) => ({ jobId: "j1", factoryId: "a", kind });

/** A small deterministic PRNG (mulberry32): property runs are reproducible. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("exclusion backoff", () => {
  it("starts at each kind's base and doubles per strike up to its cap", () => {
    expect(exclusionDelayMs("released", 1)).toBe(10_000);
    expect(exclusionDelayMs("released", 2)).toBe(20_000);
    expect(exclusionDelayMs("expired", 1)).toBe(60_000);
    expect(exclusionDelayMs("expired", 3)).toBe(240_000);
    expect(exclusionDelayMs("rejected", 1)).toBe(15 * 60_000);
    for (const kind of LOSS_KINDS) expect(exclusionDelayMs(kind, 10_000)).toBe(EXCLUSION_BACKOFF[kind].capMs);
    expect(exclusionDelayMs("released", 0)).toBe(10_000);
  });

  it("counts strikes while remembered, and starts over after STRIKE_MEMORY_MS", () => {
    const first = nextExclusion(undefined, loss("expired"), NOW);
    expect(first).toMatchObject({ strikes: 1, at: NOW, until: NOW + 60_000, kind: "expired" });
    const second = nextExclusion(first, loss("released"), NOW + 70_000);
    expect(second).toMatchObject({ strikes: 2, kind: "released", until: NOW + 70_000 + 20_000 });
    const later = nextExclusion(second, loss("expired"), second.at + STRIKE_MEMORY_MS);
    expect(later.strikes).toBe(1);
  });

  it("is in force strictly before `until`: at the instant it ends the factory may have the job again", () => {
    const e = nextExclusion(undefined, loss("released"), NOW);
    expect(isExcluded(e, NOW)).toBe(true);
    expect(isExcluded(e, e.until - 1)).toBe(true);
    expect(isExcluded(e, e.until)).toBe(false);
    expect(isExcluded(undefined, NOW)).toBe(false);
  });

  it("property: every exclusion lasts within [base, cap] of its kind, and never shrinks while strikes are remembered", () => {
    const next = rng(7);
    for (let run = 0; run < 200; run++) {
      let prev: Exclusion | undefined;
      let t = NOW;
      for (let i = 0; i < 40; i++) {
        const kind = LOSS_KINDS[Math.floor(next() * LOSS_KINDS.length)]!;
        t += Math.floor(next() * 3_600_000);
        const e = nextExclusion(prev, loss(kind), t);
        const { baseMs, capMs } = EXCLUSION_BACKOFF[kind];
        expect(e.until - e.at).toBeGreaterThanOrEqual(baseMs);
        expect(e.until - e.at).toBeLessThanOrEqual(capMs);
        if (prev && t - prev.at < STRIKE_MEMORY_MS) {
          expect(e.strikes).toBe(prev.strikes + 1);
          expect(e.until - e.at).toBeGreaterThanOrEqual(exclusionDelayMs(kind, prev.strikes));
        } else {
          expect(e.strikes).toBe(1);
        }
        prev = e;
      }
    }
  });

  it("property: a factory that hands back every job at once gets it a bounded number of times", () => {
    // Offered the job whenever it is not excluded, it releases at once (the ~1,800 round trips in 5 s case).
    const offersWithin = (kind: LossKind, horizonMs: number): number => {
      let t = NOW;
      let prev: Exclusion | undefined;
      let offers = 0;
      while (t < NOW + horizonMs) {
        offers++;
        prev = nextExclusion(prev, loss(kind), t);
        t = prev.until;
      }
      return offers;
    };
    expect(offersWithin("released", 5_000)).toBe(1);
    expect(offersWithin("released", 3_600_000)).toBeLessThanOrEqual(12);
    expect(offersWithin("expired", 3_600_000)).toBeLessThanOrEqual(8);
    expect(offersWithin("rejected", 24 * 3_600_000)).toBeLessThanOrEqual(8);
  });
});

function job(over: Partial<Job> = {}): Job {
  return {
    id: "j1",
    productId: "p",
    title: "t",
    bodyMd: "",
    manifest: {} as Job["manifest"],
    stage: "queued",
    priority: "medium",
    requires: [],
    prefers: [],
    budget: {},
    deps: [],
    depsMode: "all",
    kind: "task",
    rev: 1,
    leaseEpoch: 2,
    attempt: 1,
    maxAttempts: 3,
    createdAt: NOW,
    updatedAt: NOW,
    queuedAt: NOW - 3_600_000,
    ...over,
  };
}

function factory(id: string): Factory {
  return {
    id,
    productId: "p",
    name: id,
    capabilities: [],
    seats: 1,
    load: 0,
    health: "ok",
    status: "active",
    createdAt: NOW,
  };
}

describe("the router and exclusions", () => {
  const excluded = nextExclusion(undefined, loss("expired"), NOW - 1_000);
  const exclusionOf = (jobId: string, factoryId: string) =>
    jobId === "j1" && factoryId === "a" ? excluded : undefined;

  it("filters the excluded holder with its reason and shows the exclusion; the other factory ranks first", () => {
    const ctx = { now: NOW, exclusionOf };
    const { ranked, rejected } = rankFactories(job(), [factory("a"), factory("b")], ctx);
    expect(ranked.map((c) => c.factoryId)).toEqual(["b"]);
    expect(rejected[0]).toMatchObject({
      factoryId: "a",
      reasons: ["excluded:expired"],
      exclusion: { kind: "expired", strikes: 1, until: excluded.until },
    });
  });

  it("offers the job to the holder again once the backoff ended", () => {
    const c = scoreCandidate(job(), factory("a"), { now: excluded.until, exclusionOf });
    expect(c.eligible).toBe(true);
    expect(c.exclusion).toBeUndefined();
  });

  it("a pull-claim and a dispatch plan skip the excluded job for that factory only", () => {
    const ctx = { now: NOW, exclusionOf };
    const other = job({ id: "j2", queuedAt: NOW });
    expect(pickJobForFactory([job(), other], factory("a"), ctx, [])?.id).toBe("j2");
    expect(pickJobForFactory([job(), other], factory("b"), ctx, [])?.id).toBe("j1");
    expect(planAssignments([job()], [factory("a"), factory("b")], ctx)).toMatchObject([
      { jobId: "j1", factoryId: "b" },
    ]);
  });
});
