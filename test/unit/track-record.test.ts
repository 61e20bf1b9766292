// Track records (core/track-record, issue 11 part 1): on any stream of outcomes the exponentially-weighted mean stays
// within [min, max] of its samples and its variance is never negative, the Beta posterior success rate is always
// strictly inside (0, 1), the decay factor never grows with elapsed time (and halves at the half-life), an old
// streak weighs less than a fresh one, what counts mirrors the breakers (cancelled, fenced, budget_exceeded are
// neutral), the job class is the sorted requires set plus the manifest's label (every such class, in any order of its
// capabilities, a valid jobClass at the API), and the same outcomes folded in any order give the record of their
// order of end (a run that ended before the record's last update counts its age).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RunResult } from "../../src/core/model.ts";
import { countsAs } from "../../src/core/run-counts.ts";
import {
  addOutcome,
  canonicalJobClass,
  decayFactor,
  decayTo,
  EMPTY_EWM,
  type Ewm,
  emptyRecord,
  ewmAdd,
  ewmVariance,
  HALF_LIFE_MS,
  jobClassOf,
  successInterval,
  successRate,
} from "../../src/core/track-record.ts";
import { breakerEvent } from "../../src/durable-objects/coordinator/policies/breakers.ts";
import { RuleBody } from "../../src/shared/api-routing.ts";

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

const samples = fc.array(
  fc.record({ x: fc.double({ min: 0, max: 1e6, noNaN: true }), gap: fc.integer({ min: 0, max: 30 * 24 * HOUR }) }),
  { minLength: 1, maxLength: 60 },
);

describe("exponentially-weighted mean and variance", () => {
  it("the mean stays within [min, max] of the samples and the variance is ≥ 0", () => {
    fc.assert(
      fc.property(samples, (xs) => {
        let e: Ewm = { ...EMPTY_EWM };
        for (const { x, gap } of xs) e = ewmAdd(e, x, decayFactor(gap));
        const lo = Math.min(...xs.map((s) => s.x));
        const hi = Math.max(...xs.map((s) => s.x));
        expect(e.mean).toBeGreaterThanOrEqual(lo);
        expect(e.mean).toBeLessThanOrEqual(hi);
        expect(ewmVariance(e)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it("equal samples have their value as the mean and no variance; two samples without decay their plain moments", () => {
    let e: Ewm = { ...EMPTY_EWM };
    for (let i = 0; i < 5; i++) e = ewmAdd(e, 42, 1);
    expect(e.mean).toBe(42);
    expect(ewmVariance(e)).toBe(0);
    const two = ewmAdd(ewmAdd({ ...EMPTY_EWM }, 10, 1), 20, 1);
    expect(two.mean).toBe(15);
    expect(ewmVariance(two)).toBe(25);
  });
});

describe("a job class as an operator types it", () => {
  it("canonicalJobClass spells it as jobClassOf does for any order of capabilities", () => {
    expect(canonicalJobClass("os:linux,lang:rust")).toBe("lang:rust,os:linux");
    expect(canonicalJobClass("os:linux,lang:rust|class:docs")).toBe("lang:rust,os:linux|class:docs");
    expect(canonicalJobClass("class:docs")).toBe("class:docs");
    expect(canonicalJobClass("-")).toBe("-");
    const cap = fc.stringMatching(/^[a-z]{1,4}:[a-z0-9]{1,4}$/);
    fc.assert(
      fc.property(
        fc.array(cap, { minLength: 1, maxLength: 6 }),
        fc.option(fc.stringMatching(/^[a-z]{1,6}$/)),
        (caps, label) => {
          const typed = [...caps].reverse().join(",") + (label ? `|class:${label}` : "");
          expect(canonicalJobClass(typed)).toBe(jobClassOf(caps, label ?? undefined));
        },
      ),
    );
  });
});

describe("a job class at the API", () => {
  it("every class a job can have (jobClassOf over manifest capabilities and labels) is a valid jobClass", () => {
    const cap = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,63}$/);
    const label = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/);
    fc.assert(
      fc.property(fc.array(cap, { maxLength: 32 }), fc.option(label, { nil: undefined }), (caps, l) => {
        const jobClass = jobClassOf(caps, l);
        const body = { factoryId: "f1", jobClass, effect: "avoid", reason: "r" };
        expect(RuleBody.safeParse(body).success).toBe(true);
        expect(RuleBody.safeParse({ ...body, jobClass: [...caps].reverse().join(",") || "-" }).success).toBe(true);
      }),
    );
  });
});

describe("a run's cost in the record", () => {
  it("a non-finite or negative cost is not counted: the mean stays finite, the outcome still counts", () => {
    let r = addOutcome(emptyRecord(NOW), { ok: true, durationMs: 10, costUsd: 0.5 }, NOW);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1])
      r = addOutcome(r, { ok: true, durationMs: 10, costUsd: bad }, NOW);
    expect(r.n).toBe(5);
    expect(r.costUsd.mean).toBe(0.5);
    expect(Number.isFinite(r.costUsd.m2)).toBe(true);
  });
});

describe("success rate with a Beta(1, 1) prior", () => {
  it("the posterior mean is strictly inside (0, 1) and inside its 95 % interval, whatever the outcomes", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 200 }), fc.integer({ min: 1, max: 48 * HOUR }), (oks, gap) => {
        let r = emptyRecord(NOW);
        oks.forEach((ok, i) => {
          r = addOutcome(r, { ok, durationMs: 1000 }, NOW + i * gap);
        });
        const p = successRate(r);
        const [lo, hi] = successInterval(r);
        expect(p).toBeGreaterThan(0);
        expect(p).toBeLessThan(1);
        expect(lo).toBeLessThanOrEqual(p);
        expect(hi).toBeGreaterThanOrEqual(p);
        expect(r.n).toBe(oks.length);
      }),
    );
  });

  it("with no runs it is the prior's 0.5; 9 failures of 10 read 2/12", () => {
    expect(successRate(emptyRecord(NOW))).toBe(0.5);
    let r = emptyRecord(NOW);
    for (let i = 0; i < 10; i++) r = addOutcome(r, { ok: i === 0, durationMs: 0 }, NOW);
    expect(successRate(r)).toBeCloseTo(2 / 12, 12);
  });
});

describe("decay", () => {
  it("is monotone non-increasing in elapsed time, 1 at zero, ½ at the half-life", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(decayFactor(hi)).toBeLessThanOrEqual(decayFactor(lo));
        expect(decayFactor(hi)).toBeGreaterThanOrEqual(0);
      }),
    );
    expect(decayFactor(0)).toBe(1);
    expect(decayFactor(-5)).toBe(1);
    expect(decayFactor(HALF_LIFE_MS)).toBeCloseTo(0.5, 12);
  });

  it("an old failure streak weighs less than fresh successes: the rate recovers towards them", () => {
    let r = emptyRecord(NOW);
    for (let i = 0; i < 10; i++) r = addOutcome(r, { ok: false, durationMs: 0 }, NOW);
    const later = NOW + 4 * HALF_LIFE_MS;
    for (let i = 0; i < 10; i++) r = addOutcome(r, { ok: true, durationMs: 0 }, later);
    expect(successRate(r)).toBeGreaterThan(0.85);
    expect(r.n).toBe(20);
    const faded = decayTo(r, later + 10 * HALF_LIFE_MS);
    expect(faded.successes + faded.failures).toBeLessThan(0.02);
    expect(successRate(faded)).toBeCloseTo(0.5, 1); // back to the prior
  });

  it("a cost is averaged only over runs that reported one", () => {
    let r = emptyRecord(NOW);
    r = addOutcome(r, { ok: true, durationMs: 60_000, costUsd: 2 }, NOW);
    r = addOutcome(r, { ok: true, durationMs: 120_000 }, NOW);
    expect(r.costUsd.mean).toBe(2);
    expect(r.costUsd.w).toBe(1);
    expect(r.durationMs.mean).toBe(90_000);
  });
});

describe("what counts", () => {
  it("mirrors the breakers: success counts for, the engine's faults against, the neutral outcomes not at all", () => {
    const outcomes: RunResult["outcome"][] = ["success", "failure", "timeout", "rate_limited", "cancelled", "fenced"];
    for (const outcome of outcomes) {
      const kind = breakerEvent({ outcome }).kind;
      expect(countsAs(outcome)).toBe(kind === "neutral" ? undefined : kind === "success");
    }
  });

  it("but for a budget overrun: the engine's failure when it spent the job's own budget, neutral when the product's stopped it", () => {
    expect(breakerEvent({ outcome: "budget_exceeded" }).kind).toBe("neutral");
    expect(countsAs("budget_exceeded")).toBe(false);
    expect(countsAs("budget_exceeded", false)).toBe(false);
    expect(countsAs("budget_exceeded", true)).toBeUndefined(); // policies/budget-stop's stop-and-requeue
    expect(countsAs("failure", true)).toBe(false); // `retryable` decides nothing else
  });
});

describe("job class", () => {
  it("is the sorted, de-duplicated requires plus the optional class label", () => {
    expect(jobClassOf(["os:linux", "lang:rust", "os:linux"])).toBe("lang:rust,os:linux");
    expect(jobClassOf(["lang:rust"], "docs")).toBe("lang:rust|class:docs");
    expect(jobClassOf([], "docs")).toBe("class:docs");
    expect(jobClassOf([])).toBe("-");
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", "b", "c", "d")), (caps) => {
        expect(jobClassOf(caps)).toBe(jobClassOf([...caps].reverse()));
      }),
    );
  });
});

describe("order of the fold", () => {
  // A rebuild reads the D1 runs in chunks ordered by start, so a long run of one chunk can be folded before shorter
  // runs of the next that ended earlier: the record must not depend on the order its outcomes are added in.
  const outcome = fc.record({
    ok: fc.boolean(),
    durationMs: fc.integer({ min: 0, max: 4 * HOUR }),
    costUsd: fc.option(fc.double({ min: 0, max: 50, noNaN: true }), { nil: undefined }),
    endedAt: fc.integer({ min: NOW, max: NOW + 30 * 24 * HOUR }),
  });
  const fold = (xs: Array<{ ok: boolean; durationMs: number; costUsd?: number; endedAt: number }>) =>
    xs.reduce(
      (r, o) =>
        addOutcome(
          r,
          { ok: o.ok, durationMs: o.durationMs, ...(o.costUsd === undefined ? {} : { costUsd: o.costUsd }) },
          o.endedAt,
        ),
      emptyRecord(xs[0]?.endedAt ?? NOW),
    );
  const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b)));

  it("outcomes added in any order give the record of the same outcomes added in order of their end", () => {
    fc.assert(
      fc.property(fc.array(outcome, { minLength: 1, maxLength: 40 }), fc.nat(), (xs, seed) => {
        const inOrder = fold([...xs].sort((a, b) => a.endedAt - b.endedAt));
        const shuffled = [...xs]
          .map((x, i) => ({ x, k: (i * 2_654_435_761 + seed) % 4_294_967_296 }))
          .sort((a, b) => a.k - b.k)
          .map((p) => p.x);
        const any = fold(shuffled);
        expect(any.n).toBe(inOrder.n);
        expect(any.updatedAt).toBe(inOrder.updatedAt);
        for (const k of ["successes", "failures"] as const) close(any[k], inOrder[k]);
        for (const k of ["durationMs", "costUsd"] as const) {
          close(any[k].w, inOrder[k].w);
          close(any[k].mean, inOrder[k].mean);
          close(ewmVariance(any[k]), ewmVariance(inOrder[k]));
        }
      }),
    );
  });

  it("a run that ended a half-life before the record's last update counts half, not as one just ended", () => {
    const late = addOutcome(emptyRecord(NOW), { ok: true, durationMs: 0 }, NOW + HALF_LIFE_MS);
    const early = addOutcome(late, { ok: false, durationMs: 0 }, NOW);
    expect(early.failures).toBeCloseTo(0.5, 12);
    expect(early.successes).toBe(1);
    expect(early.updatedAt).toBe(NOW + HALF_LIFE_MS);
  });
});
