// The scoring router: each score term on its own, the hard filter, ranking with a deterministic tie-break, and urgency with starvation aging.

import { describe, expect, it } from "vitest";
import type { Factory, Job, RouterWeights } from "../../src/core/model.ts";
import { pickJobForFactory } from "../../src/core/pull-claim.ts";
import {
  DEFAULT_WEIGHTS,
  effectiveRequires,
  jobUrgency,
  orderJobs,
  PRIORITY_VALUE,
  planAssignments,
  type RouteContext,
  rankFactories,
  STARVATION_HORIZON_MS,
  scoreCandidate,
  starvationPenalty,
} from "../../src/core/router.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = 1_700_000_000_000;
const MIN = 60_000;

/** Fully aged by default, so starvation is 0 unless a test sets `queuedAt`. */
const job = (over: Partial<Job> = {}): Job => jobFixture(NOW, { queuedAt: NOW - STARVATION_HORIZON_MS, ...over });

const factory = (over: Partial<Factory> = {}): Factory => factoryFixture(NOW, over);

const ctx: RouteContext = { now: NOW };
const term = (j: Job, f: Factory, c: RouteContext = ctx) => scoreCandidate(j, f, c).terms;

describe("score terms, one input varied at a time", () => {
  it("capabilityFit = (1 + |requires ∪ engine|) / (1 + |caps|): a tight fit beats an over-provisioned box", () => {
    const j = job({ requires: ["os:linux"], engine: "claude" });
    const tight = term(j, factory({ capabilities: ["os:linux", "engine:claude"] })).capabilityFit;
    const big = term(j, factory({ capabilities: ["os:linux", "engine:claude", "gpu", "has:docker", "node:22"] }));
    expect(tight).toEqual({ raw: 1, weight: 1, contribution: 1 });
    expect(big.capabilityFit.raw).toBeCloseTo(3 / 6);
    expect(big.capabilityFit.contribution).toBeCloseTo(0.5);
  });

  it("affinity = |prefers ∩ caps| / |prefers|, and 0 when the job prefers nothing", () => {
    const f = factory({ capabilities: ["has:docker", "gpu"] });
    expect(term(job({ prefers: ["has:docker", "node:22"] }), f).affinity).toEqual({
      raw: 0.5,
      weight: 0.5,
      contribution: 0.25,
    });
    expect(term(job({ prefers: ["has:docker"] }), f).affinity.contribution).toBe(0.5);
    expect(term(job(), f).affinity.raw).toBe(0);
  });

  it("load = 1 / (1 + load)", () => {
    expect(term(job(), factory({ load: 0, seats: 4 })).load).toEqual({ raw: 1, weight: 1, contribution: 1 });
    expect(term(job(), factory({ load: 3, seats: 4 })).load.raw).toBe(0.25);
  });

  it("costFit is 1 without a USD budget, else low 1 / medium 0.5 / high 0 (absent = medium)", () => {
    const budgeted = job({ budget: { usd: 5 } });
    const costOf = (caps: string[], j = budgeted) => term(j, factory({ capabilities: caps })).costFit;
    expect(costOf(["cost:high"], job())).toEqual({ raw: 1, weight: 0.75, contribution: 0.75 });
    expect(costOf(["cost:low"])).toEqual({ raw: 1, weight: 0.75, contribution: 0.75 });
    expect(costOf(["cost:medium"]).raw).toBe(0.5);
    expect(costOf([]).contribution).toBe(0.375);
    expect(costOf(["cost:high"])).toEqual({ raw: 0, weight: 0.75, contribution: 0 });
  });

  it("health is 1 when ok and 0.5 when degraded", () => {
    expect(term(job(), factory({ health: "ok" })).health.contribution).toBe(1);
    expect(term(job(), factory({ health: "degraded" })).health).toEqual({ raw: 0.5, weight: 1, contribution: 0.5 });
  });

  it("starvation contribution goes from −2.5 for a fresh job to 0 after 30 minutes, linearly", () => {
    const at = (ageMs: number) => term(job({ queuedAt: NOW - ageMs }), factory()).starvation;
    expect(at(0)).toEqual({ raw: 1, weight: 2.5, contribution: -2.5 });
    expect(at(15 * MIN).contribution).toBeCloseTo(-1.25);
    expect(at(30 * MIN)).toEqual({ raw: 0, weight: 2.5, contribution: 0 });
    expect(Object.is(at(45 * MIN).contribution, 0)).toBe(true); // +0, not -0, in the explain output
    expect(starvationPenalty(-5 * MIN)).toBe(1); // a clock-skewed future queuedAt is treated as fresh
  });

  it("score is the sum of the contributions", () => {
    const c = scoreCandidate(job({ queuedAt: NOW - 10 * MIN, prefers: ["gpu"] }), factory({ load: 1 }), ctx);
    const sum = Object.values(c.terms).reduce((s, t) => s + t.contribution, 0);
    expect(c.score).toBeCloseTo(sum, 9);
  });

  it("applies custom weights from the context to raw values", () => {
    const weights: RouterWeights = {
      capabilityFit: 2,
      affinity: 0,
      load: 3,
      costFit: 0,
      health: 0,
      starvation: 10,
      track: 1,
    };
    const c = scoreCandidate(job({ queuedAt: NOW }), factory({ load: 1 }), { now: NOW, weights });
    expect(c.terms.load).toEqual({ raw: 0.5, weight: 3, contribution: 1.5 });
    expect(c.terms.starvation.contribution).toBe(-10);
    expect(c.score).toBe(2 * 1 + 1.5 - 10); // capabilityFit raw is 1 (no requires, no caps)
  });

  it("uses the SPEC §5 default weights (starvation raised to 2.5, see core/aging) and a 30-minute horizon", () => {
    expect(DEFAULT_WEIGHTS).toEqual({
      capabilityFit: 1,
      affinity: 0.5,
      load: 1,
      costFit: 0.75,
      health: 1,
      starvation: 2.5,
      track: 1, // issue 11: the learned term, ±0.5 at most
    });
    expect(STARVATION_HORIZON_MS).toBe(1_800_000);
    expect(effectiveRequires(job({ requires: ["engine:claude"], engine: "claude" }))).toEqual(["engine:claude"]);
  });
});

describe("hard filter", () => {
  it.each<[string, Partial<Job>, Partial<Factory>, RouteContext, string[]]>([
    [
      "each missing capability",
      { requires: ["gpu", "os:linux"], engine: "codex" },
      { capabilities: ["os:linux"] },
      ctx,
      ["missing_capability:gpu", "missing_capability:engine:codex"],
    ],
    ["a down factory", {}, { health: "down" }, ctx, ["factory_down"]],
    ["a draining factory", {}, { status: "draining" }, ctx, ["factory_draining"]],
    ["a quarantined factory", {}, { status: "quarantined" }, ctx, ["factory_quarantined"]],
    ["a revoked factory", {}, { status: "revoked" }, ctx, ["factory_revoked"]],
    ["a full factory", {}, { load: 2, seats: 2 }, ctx, ["no_free_seat"]],
    [
      "a busy serial key",
      { serialKey: "acme/app" },
      {},
      { now: NOW, busySerialKeys: new Set(["acme/app"]) },
      ["serial_gate_closed"],
    ],
    [
      "a frozen serial key",
      { serialKey: "acme/app" },
      {},
      { now: NOW, frozenSerialKeys: new Set(["acme/app"]) },
      ["serial_gate_closed"],
    ],
    ["a paused budget", {}, {}, { now: NOW, budgetPaused: true }, ["budget_paused"]],
    [
      "an open breaker for the factory × engine",
      { engine: "claude" },
      { capabilities: ["engine:claude"] },
      { now: NOW, openBreakers: new Set(["f1:claude"]) },
      ["breaker_open:claude"],
    ],
  ])("rejects %s with its reason", (_name, j, f, c, reasons) => {
    const cand = scoreCandidate(job(j), factory(f), c);
    expect(cand.eligible).toBe(false);
    expect(cand.reasons).toEqual(reasons);
  });

  it("reports ALL applicable reasons at once", () => {
    const cand = scoreCandidate(
      job({ requires: ["gpu"], engine: "claude", serialKey: "k" }),
      factory({ health: "down", status: "draining", load: 1, seats: 1 }),
      { now: NOW, busySerialKeys: new Set(["k"]), budgetPaused: true, openBreakers: new Set(["f1:claude"]) },
    );
    expect(cand.reasons).toEqual([
      "missing_capability:gpu",
      "missing_capability:engine:claude",
      "factory_down",
      "factory_draining",
      "no_free_seat",
      "serial_gate_closed",
      "budget_paused",
      "breaker_open:claude",
    ]);
  });

  it("ignores a breaker on another factory or engine, and a serial key the job does not have", () => {
    const c = { now: NOW, openBreakers: new Set(["f2:claude", "f1:codex"]), busySerialKeys: new Set(["x"]) };
    expect(scoreCandidate(job({ engine: "claude" }), factory({ capabilities: ["engine:claude"] }), c).eligible).toBe(
      true,
    );
  });
});

describe("rankFactories", () => {
  it("sorts eligible factories by score and lists the rejected ones separately", () => {
    const j = job({ prefers: ["gpu"] });
    const { ranked, rejected } = rankFactories(
      j,
      [
        factory({ id: "a", capabilities: ["x"] }),
        factory({ id: "b", capabilities: ["gpu"] }),
        factory({ id: "c", health: "down" }),
      ],
      ctx,
    );
    expect(ranked.map((c) => c.factoryId)).toEqual(["b", "a"]);
    expect(rejected.map((c) => [c.factoryId, c.reasons])).toEqual([["c", ["factory_down"]]]);
  });

  it("breaks equal scores by lower load, then by factory id — whatever the input order", () => {
    // load 0 with 1 cap vs load 1 with 0 caps: capabilityFit 0.5 + load 1 = 1.5 = capabilityFit 1 + load 0.5
    const lowLoad = factory({ id: "z", capabilities: ["x"], load: 0 });
    const highLoad = factory({ id: "a", capabilities: [], load: 1 });
    const twinB = factory({ id: "b", capabilities: [], load: 1 });
    const first = rankFactories(job(), [twinB, highLoad, lowLoad], ctx).ranked;
    expect(first.map((c) => c.score)).toEqual([first[0]!.score, first[0]!.score, first[0]!.score]);
    expect(first.map((c) => c.factoryId)).toEqual(["z", "a", "b"]);
    expect(rankFactories(job(), [lowLoad, twinB, highLoad], ctx).ranked.map((c) => c.factoryId)).toEqual([
      "z",
      "a",
      "b",
    ]);
  });

  it("rounds scores to 1e-9 so float noise cannot flip the order", () => {
    // Both score exactly 49/24, but summing the floats gives 2.041666666666667 for `a` and 2.0416666666666665 for
    // `b`. Unrounded, `a` would win by noise; rounded, it is a tie and the lower load (`b`) wins.
    const j = job({ budget: { usd: 1 } });
    const a = factory({ id: "a", capabilities: [], load: 5, seats: 9, health: "degraded" });
    const b = factory({ id: "b", capabilities: ["gpu", "cost:medium"], load: 2, seats: 9 });
    const sum = (f: Factory) => Object.values(term(j, f)).reduce((s, t) => s + t.contribution, 0);
    expect(sum(a)).toBeGreaterThan(sum(b)); // the noise is real
    const ranked = rankFactories(j, [a, b], ctx).ranked;
    expect(ranked[0]!.score).toBe(ranked[1]!.score);
    expect(ranked.map((c) => c.factoryId)).toEqual(["b", "a"]);
  });
});

describe("job ordering and anti-starvation", () => {
  it("orders by priority when all jobs are equally fresh", () => {
    const jobs = (["low", "critical", "medium", "high"] as const).map((p) =>
      job({ id: p, priority: p, queuedAt: NOW }),
    );
    expect(orderJobs(jobs, NOW).map((j) => j.id)).toEqual(["critical", "high", "medium", "low"]);
    expect(PRIORITY_VALUE).toEqual({ critical: 3, high: 2, medium: 1, low: 0 });
  });

  it("puts a low job that has waited 30 minutes before a fresh medium one", () => {
    const agedLow = job({ id: "old-low", priority: "low", queuedAt: NOW - 30 * MIN });
    const freshMedium = job({ id: "new-medium", priority: "medium", queuedAt: NOW });
    expect(jobUrgency(agedLow, NOW)).toBe(0);
    expect(jobUrgency(freshMedium, NOW)).toBe(-1.5);
    expect(orderJobs([freshMedium, agedLow], NOW).map((j) => j.id)).toEqual(["old-low", "new-medium"]);
  });

  it("never puts an aged job before a fresh critical one: critical carries no starvation penalty", () => {
    const agedHigh = job({ id: "old-high", priority: "high", queuedAt: NOW - 60 * MIN });
    const freshCritical = job({ id: "new-critical", priority: "critical", queuedAt: NOW });
    expect(jobUrgency(freshCritical, NOW)).toBe(3);
    expect(orderJobs([agedHigh, freshCritical], NOW).map((j) => j.id)).toEqual(["new-critical", "old-high"]);
  });

  it("keeps a low job that has waited only 5 minutes behind a fresh medium one", () => {
    const low = job({ id: "low", priority: "low", queuedAt: NOW - 5 * MIN });
    const medium = job({ id: "medium", priority: "medium", queuedAt: NOW });
    expect(orderJobs([low, medium], NOW).map((j) => j.id)).toEqual(["medium", "low"]);
  });

  it("breaks equal urgency by earlier queuedAt, then by id, and never mutates the input", () => {
    const jobs = [
      job({ id: "b", queuedAt: NOW - 40 * MIN }),
      job({ id: "c", queuedAt: NOW - 50 * MIN }),
      job({ id: "a", queuedAt: NOW - 40 * MIN }),
    ];
    const before = jobs.map((j) => j.id);
    expect(orderJobs(jobs, NOW).map((j) => j.id)).toEqual(["c", "a", "b"]);
    expect(jobs.map((j) => j.id)).toEqual(before);
  });
});

describe("planAssignments", () => {
  it("never assigns more jobs to a factory than it has free seats, and skips non-queued jobs", () => {
    const jobs = ["j1", "j2", "j3", "j4"].map((id) => job({ id }));
    jobs.push(job({ id: "j5", stage: "building" }));
    const plan = planAssignments(
      jobs,
      [factory({ id: "f1", seats: 2, load: 1 }), factory({ id: "f2", seats: 1 })],
      ctx,
    );
    const perFactory = (id: string) => plan.filter((p) => p.factoryId === id).length;
    expect(plan).toHaveLength(2);
    expect(perFactory("f1")).toBe(1);
    expect(perFactory("f2")).toBe(1);
    expect(plan.map((p) => p.jobId)).toEqual(["j1", "j2"]);
  });

  it("spreads load: the second job goes to the factory the first one did not take", () => {
    const plan = planAssignments(
      [job({ id: "a" }), job({ id: "b" })],
      [factory({ id: "f1", seats: 4 }), factory({ id: "f2", seats: 4 })],
      ctx,
    );
    expect(plan.map((p) => p.factoryId)).toEqual(["f1", "f2"]);
  });

  it("plans at most one job per serial key, and none for a key already busy", () => {
    const jobs = [
      job({ id: "a", serialKey: "repo" }),
      job({ id: "b", serialKey: "repo" }),
      job({ id: "c", serialKey: "busy" }),
      job({ id: "d" }),
    ];
    const plan = planAssignments(jobs, [factory({ seats: 10 })], { now: NOW, busySerialKeys: new Set(["busy"]) });
    expect(plan.map((p) => p.jobId)).toEqual(["a", "d"]);
  });

  it("assigns the most urgent job first when seats are scarce, and does not mutate factories", () => {
    const f = factory({ seats: 1 });
    const plan = planAssignments(
      [job({ id: "low", priority: "low" }), job({ id: "crit", priority: "critical" })],
      [f],
      ctx,
    );
    expect(plan).toEqual([{ jobId: "crit", factoryId: "f1", score: expect.any(Number) }]);
    expect(f.load).toBe(0);
  });
});

describe("pickJobForFactory", () => {
  it("returns the most urgent queued job the factory can run, skipping ones it cannot", () => {
    const jobs = [
      job({ id: "gpu-crit", priority: "critical", requires: ["gpu"] }),
      job({ id: "high", priority: "high" }),
      job({ id: "assigned-crit", priority: "critical", stage: "assigned" }),
      job({ id: "low", priority: "low" }),
    ];
    expect(pickJobForFactory(jobs, factory(), ctx, [])?.id).toBe("high");
    expect(pickJobForFactory(jobs, factory({ capabilities: ["gpu"] }), ctx, [])?.id).toBe("gpu-crit");
    expect(pickJobForFactory(jobs, factory({ status: "draining" }), ctx, [])).toBeUndefined();
  });
});
