// Guarded experiments (core/experiment, core/sequential-test; issue 11 part 4): assignment by hash is stable (a retry
// stays in its arm) and follows the split; an arm's policy reaches the ranking of its jobs only; on synthetic outcome
// streams the guardrail stops a clearly worse arm (success rate or cost) and names it the loser, and on two identical
// arms it stops at most at the stated false-positive rate (1 − confidence), estimated over seeded simulations; a spec
// whose two arms have the same policy (both `{}`, the same rules in another order, or a prefer and an avoid of the same
// factory and engine, which cancel, or a weight or prefer the product already has) is refused `identical_arms`.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  armOf,
  type Experiment,
  type ExperimentSpec,
  jobContext,
  LOOK_EVERY,
  MAX_SERIES,
  newExperiment,
  observe,
  routingArm,
} from "../../src/core/experiment.ts";
import { armsRouteAlike, assertMeaningfulSpec } from "../../src/core/experiment-spec.ts";
import type { Factory, Job } from "../../src/core/model.ts";
import { DEFAULT_WEIGHTS, rankFactories } from "../../src/core/router.ts";
import type { RoutingRule } from "../../src/core/routing-rules.ts";
import { lookAlpha } from "../../src/core/sequential-test.ts";
import { mulberry32 } from "../support/seeded-random.ts";

const NOW = 1_700_000_000_000;

/** mulberry32 (test/support/seeded-random): every simulated stream can be replayed. */
const rng = mulberry32;

const spec = (over: Partial<ExperimentSpec> = {}): ExperimentSpec => ({
  jobClass: "lang:rust",
  arms: { A: {}, B: { rules: [{ factoryId: "f2", effect: "prefer" }] } },
  split: 0.5,
  guardrail: { metric: "success_rate", margin: 0, confidence: 0.9 },
  minSamples: 20,
  ...over,
});

/** Feeds up to `max` outcomes, arm by hash of a fresh job id; `draw(arm)` gives {ok, cost}. Stops at a decision. */
function simulate(exp: Experiment, max: number, draw: (arm: "A" | "B") => { ok: boolean; cost?: number }): Experiment {
  let e = exp;
  for (let i = 0; i < max && e.status === "running"; i++) {
    const arm = armOf(e.id, `job-${i}`, e.split);
    const { ok, cost } = draw(arm);
    e = observe(e, arm, ok, cost, NOW + i);
  }
  return e;
}

describe("sequential test", () => {
  it("the spent alphas sum to at most alpha", () => {
    let sum = 0;
    for (let k = 1; k <= 100_000; k++) sum += lookAlpha(0.05, k);
    expect(sum).toBeLessThanOrEqual(0.05);
    expect(sum).toBeGreaterThan(0.0499);
  });
});

describe("assignment", () => {
  it("is deterministic per (experiment, job) and follows the split", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.string({ minLength: 1 }), (split, id) => {
        const ids = Array.from({ length: 2_000 }, (_, i) => `${id}-${i}`);
        const arms = ids.map((j) => armOf("ex_1", j, split));
        expect(ids.map((j) => armOf("ex_1", j, split))).toEqual(arms);
        const b = arms.filter((a) => a === "B").length / ids.length;
        expect(Math.abs(b - split)).toBeLessThan(0.06); // 2 000 draws: sd ≤ 0.011, so 0.06 is > 5 sd
        if (split === 0) expect(b).toBe(0);
        if (split === 1) expect(b).toBe(1);
      }),
      { numRuns: 40, examples: [[0.114, "isProt"]] }, // CI's counterexample for FNV-1a without a finalizer
    );
  });
});

describe("an arm's policy", () => {
  const factory = (id: string): Factory =>
    ({ id, name: id, capabilities: ["lang:rust"], seats: 2, load: 0, health: "ok", status: "active" }) as Factory;
  const job = (id: string): Job =>
    ({
      id,
      manifest: {},
      stage: "queued",
      priority: "medium",
      requires: ["lang:rust"],
      prefers: [],
      budget: {},
      queuedAt: NOW,
    }) as unknown as Job;

  it("routes the jobs of its arm only, and jobContext is idempotent", () => {
    const exp = newExperiment("ex_p", spec(), NOW, "op");
    const fleet = [factory("f1"), factory("f2")];
    const ctx = {
      now: NOW,
      policyFor: (j: Pick<Job, "id">) => {
        const arm = routingArm(exp, j.id);
        return arm === "B"
          ? {
              rules: [
                {
                  id: "r",
                  factoryId: "f2",
                  jobClass: "lang:rust",
                  effect: "prefer" as const,
                  reason: "x",
                  createdAt: NOW,
                  createdBy: "op",
                },
              ],
            }
          : undefined;
      },
    };
    for (let i = 0; i < 40; i++) {
      const j = job(`j${i}`);
      const top = rankFactories(j, fleet, ctx).ranked[0]?.factoryId;
      expect(top).toBe(armOf("ex_p", j.id, 0.5) === "B" ? "f2" : "f1"); // f1 wins an exact tie by id
      const once = jobContext(ctx, j);
      expect(jobContext(once, j)).toEqual(once);
    }
  });
});

describe("guardrail", () => {
  it("stops a clearly worse arm and names it the loser (success rate)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.double({ min: 0.85, max: 0.98, noNaN: true }),
        fc.constantFrom<"A" | "B">("A", "B"),
        (seed, good, bad) => {
          const r = rng(seed);
          const e = simulate(
            newExperiment(
              `ex_${seed}`,
              spec({ guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.95 } }),
              NOW,
              "op",
            ),
            1_000,
            (arm) => ({ ok: r() < (arm === bad ? good - 0.45 : good) }),
          );
          expect(e.status).toBe("concluded");
          expect(e.decision?.loser).toBe(bad);
          expect(Math.min(e.counts.A.outcomes.n, e.counts.B.outcomes.n)).toBeGreaterThanOrEqual(20);
          expect(e.series.length).toBeLessThanOrEqual(MAX_SERIES);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("stops a clearly costlier arm (cost)", () => {
    const r = rng(7);
    const g = { metric: "cost" as const, margin: 0.05, confidence: 0.95 };
    const e = simulate(newExperiment("ex_c", spec({ guardrail: g }), NOW, "op"), 1_000, (arm) => ({
      ok: true,
      cost: (arm === "B" ? 0.6 : 0.2) + r() * 0.1,
    }));
    expect(e.decision).toMatchObject({ by: "guardrail", loser: "B", winner: "A" });
    expect((e.counts.A.outcomes.n + e.counts.B.outcomes.n) % LOOK_EVERY).toBe(0);
  });

  it("on two identical arms stops at most at the stated false-positive rate", () => {
    const SIMS = 300; // 300 streams of ≤ 400 outcomes: well under a second, and the estimate's sd ≤ 0.017
    for (const metric of ["success_rate", "cost"] as const) {
      let stopped = 0;
      for (let s = 0; s < SIMS; s++) {
        const r = rng(1_000 + s);
        const g = { metric, margin: 0, confidence: 0.9 };
        const e = simulate(newExperiment(`ex_n${s}`, spec({ guardrail: g }), NOW, "op"), 400, () => ({
          ok: r() < 0.7,
          cost: 0.2 + r() * 0.3,
        }));
        if (e.status === "concluded") stopped += 1;
      }
      expect(stopped / SIMS).toBeLessThanOrEqual(0.1 + 0.05); // α = 0.1, tolerance 3 sd of the estimate
    }
  });

  it("a concluded or stopped experiment counts nothing more", () => {
    const e = { ...newExperiment("ex_s", spec(), NOW, "op"), status: "stopped" as const };
    expect(observe(e, "A", true, undefined, NOW)).toBe(e);
    expect(routingArm(e, "j")).toBeUndefined();
  });
});

describe("identical arms", () => {
  const guardrail = { metric: "success_rate" as const, margin: 0.1, confidence: 0.95 };
  const prefer = (factoryId: string) => ({ factoryId, effect: "prefer" as const });
  const refusal = (A: ExperimentSpec["arms"]["A"], B: ExperimentSpec["arms"]["B"], rules: RoutingRule[] = []) => {
    try {
      assertMeaningfulSpec({ guardrail, arms: { A, B }, jobClass: "lang:go" }, DEFAULT_WEIGHTS, rules);
      return undefined;
    } catch (err) {
      return err as { code: string; message: string };
    }
  };
  it("refuses the same policy in any spelling with identical_arms, saying what to pass", () => {
    for (const [A, B] of [
      [{}, {}],
      [{ weights: {} }, { rules: [] }],
      [{ rules: [prefer("f1"), prefer("f2")] }, { rules: [prefer("f2"), prefer("f1"), prefer("f2")] }],
      [{ weights: { load: 2, health: 1 } }, { weights: { health: 1, load: 2 } }],
      // A prefer and an avoid of the same factory and engine add up to nothing: the arm is `{}`.
      [{ rules: [prefer("f1"), { factoryId: "f1", effect: "avoid" }] }, {}],
      [{ rules: [prefer("f2"), prefer("f1"), { factoryId: "f1", effect: "avoid" }] }, { rules: [prefer("f2")] }],
      // A weight the product already has (load 1, track 1 by default) is no change: the arm routes as `{}`.
      [{ weights: { load: DEFAULT_WEIGHTS.load } }, {}],
      [{ weights: { load: 2 } }, { weights: { load: 2, track: DEFAULT_WEIGHTS.track } }],
    ] as Array<[ExperimentSpec["arms"]["A"], ExperimentSpec["arms"]["B"]]>) {
      const err = refusal(A, B);
      expect(err?.code).toBe("identical_arms");
      expect(err?.message).toMatch(/give arm B \(or A\) different weights or prefer\/avoid rules/);
    }
  });
  it("reads arms over the product's rules: a prefer the product already makes is no change, one of a class is", () => {
    const arms = { A: {}, B: { rules: [prefer("f1")] } };
    const product = (over: Partial<RoutingRule> = {}): RoutingRule[] => [
      { ...prefer("f1"), id: "rr_1", reason: "r", createdAt: 0, createdBy: "op", ...over },
    ];
    const alike = (rules: RoutingRule[], jobClass = "lang:go") =>
      armsRouteAlike(arms, jobClass, DEFAULT_WEIGHTS, rules);
    expect(alike(product()) && alike(product({ jobClass: "lang:go" }))).toBe(true); // +2, and +2 + 2 clamped to +2
    expect(alike(product({ jobClass: "lang:rust" }))).toBe(false); // another class's rule is not in force here
    expect(alike(product({ engine: "claude" }))).toBe(false); // other engines' jobs still see B's prefer
    expect(alike(product({ effect: "avoid" }))).toBe(false);
    expect(refusal(arms.A, arms.B, product())?.code).toBe("identical_arms");
  });

  it("lets arms that differ in a weight, a rule, its engine or its effect start", () => {
    expect(refusal({}, { weights: { load: 2 } })).toBeUndefined();
    expect(refusal({ rules: [prefer("f1")] }, { rules: [prefer("f2")] })).toBeUndefined();
    expect(refusal({ rules: [prefer("f1")] }, { rules: [{ ...prefer("f1"), engine: "claude" }] })).toBeUndefined();
    expect(refusal({ rules: [prefer("f1")] }, { rules: [{ factoryId: "f1", effect: "avoid" }] })).toBeUndefined();
    const both = { rules: [prefer("f1"), { factoryId: "f1", engine: "claude", effect: "avoid" as const }] };
    expect(refusal(both, {})).toBeUndefined(); // the avoid is of one engine only: other engines' jobs see the prefer
  });
});
