// `gigafactory explain` in a terminal: an excluded factory is listed with its reason, and the lost leases of the job
// with kind, strike and until when the factory is kept from it; a preempted job says by whom, a critical one whom it would evict;
// a ranked factory shows its learned track term's evidence (n — and its decayed weight when that is less, which is what
// min n is held to —, success rate and 95 % interval) and the routing rules applied;
// a job routed by a guarded experiment names the experiment and arm. A running job reads as running on its holder, by
// name, with the ranking said to be what a new dispatch would see — never "no eligible factory" (newcomer N: the
// holder's no_free_seat was this job's own seat) — and every factory is named `name (id)`, as the rest of the CLI does;
// a half-open breaker's factory ranked below a closed one says why ("half-open: trial only when no closed host can take it").
import { describe, expect, it } from "vitest";
import { rawCell, renderExplanation } from "../../src/cli/commands/explain.ts";
import { DEFAULT_WEIGHTS } from "../../src/core/router.ts";
import type { Explanation } from "../../src/shared/responses.ts";

const AT = Date.UTC(2026, 0, 2, 3, 4, 5);

const explanation: Explanation = {
  jobId: "job_1",
  stage: "queued",
  priority: "medium",
  at: AT,
  weights: DEFAULT_WEIGHTS,
  urgency: 1,
  holderFactoryId: null,
  waitingReason: null,
  ranked: [],
  rejected: [
    {
      factoryId: "fac_a",
      factoryName: "a",
      eligible: false,
      reasons: ["excluded:expired"],
      score: 0,
      terms: {} as Explanation["rejected"][number]["terms"],
      exclusion: { kind: "expired", strikes: 2, until: AT + 120_000 },
      track: { raw: 0.5, jobClass: "-", engine: "*", n: 0, neutral: true },
    },
  ],
  exclusions: [
    { jobId: "job_1", factoryId: "fac_a", kind: "expired", strikes: 2, at: AT - 1_000, until: AT + 120_000 },
    { jobId: "job_1", factoryId: "fac_b", kind: "released", strikes: 1, at: AT - 60_000, until: AT - 50_000 },
  ],
  preemption: { preemptedAt: null, preemptedBy: null, wouldPreempt: null, notBecause: "not_critical" },
  routingPolicy: null,
};

describe("explain rendering", () => {
  it("names the exclusion among the rejection reasons and lists every lost lease with its backoff", () => {
    const text = renderExplanation(explanation);
    expect(text).toContain("a (fac_a): kept from this job: its lease expired  [excluded:expired]");
    expect(text).toContain("EXCLUSIONS (2)");
    expect(text).toContain("  a (fac_a): expired, strike 2, excluded until 2026-01-02T03:06:05Z");
    expect(text).toContain("fac_b: released, strike 1, backoff over");
  });

  it("says when the job was preempted and by whom, and whom a critical job would preempt", () => {
    const was = { preemptedAt: AT, preemptedBy: "job_crit", wouldPreempt: null, notBecause: null };
    expect(renderExplanation({ ...explanation, preemption: was })).toContain(
      "preempted by job_crit at 2026-01-02T03:04:05Z",
    );
    const would = {
      ...explanation.preemption,
      wouldPreempt: { victimId: "job_low", victimPriority: "low" as const, factoryId: "fac_a" },
    };
    expect(renderExplanation({ ...explanation, preemption: would })).toContain(
      "would preempt job_low (low) on a (fac_a)",
    );
    expect(renderExplanation(explanation)).not.toContain("preempt");
  });

  it("names the guarded experiment whose policy routes the job, as its arm or as the winner", () => {
    const arm = { experimentId: "ex_1", arm: "B" as const, as: "arm" as const };
    expect(renderExplanation({ ...explanation, routingPolicy: arm })).toContain("routed by experiment ex_1 arm B\n");
    const won = { ...arm, arm: "A" as const, as: "winner" as const };
    expect(renderExplanation({ ...explanation, routingPolicy: won })).toContain(
      "routed by experiment ex_1 arm A (the winner)",
    );
    expect(renderExplanation(explanation)).not.toContain("routed by");
  });

  it("says a running job runs on its holder by name, and that the ranking is what a new dispatch would see", () => {
    const [a] = explanation.rejected;
    const gpu = {
      ...a!,
      factoryId: "fac_gpu",
      factoryName: "demo-gpu",
      reasons: ["no_free_seat"],
      exclusion: undefined,
    };
    const running = { ...explanation, stage: "building" as const, holderFactoryId: "fac_gpu", exclusions: [] };
    const text = renderExplanation({ ...running, rejected: [gpu] });
    expect(text).toContain("\nrunning on demo-gpu (fac_gpu)\n");
    expect(text).toContain("what a new dispatch would see now; the job is not being routed (a factory holds it)");
    expect(text).toContain("demo-gpu (fac_gpu): every seat busy (this job holds one of its seats)  [no_free_seat]");
    expect(text).not.toContain("no eligible factory");
    expect(text).not.toContain("held by fac_gpu");
    expect(renderExplanation({ ...running, stage: "assigned", rejected: [gpu] })).toContain("assigned to demo-gpu");
    // A holder the router did not look at (revoked since) keeps its id; a job in review is not routed either.
    expect(renderExplanation({ ...running, rejected: [] })).toContain("running on fac_gpu\n");
    const review = renderExplanation({ ...explanation, stage: "review" });
    expect(review).toContain("the job is not being routed (at stage review)");
    expect(review).not.toContain("no eligible factory");
    // A queued job with none eligible still says so: that is why it waits.
    expect(renderExplanation(explanation)).toContain("RANKED (0)\n  no eligible factory");
    expect(renderExplanation(explanation)).not.toContain("new dispatch");
  });

  it("says nothing about exclusions when no factory lost the job", () => {
    expect(renderExplanation({ ...explanation, rejected: [], exclusions: [] })).not.toContain("EXCLUSIONS");
  });

  it("shows a ranked factory's track evidence and the routing rules that adjust its score", () => {
    const [rejected] = explanation.rejected;
    const ranked = {
      ...rejected!,
      eligible: true,
      reasons: [],
      score: 1.25,
      terms: { track: { raw: 0.3, weight: 1, contribution: -0.2 } } as Explanation["ranked"][number]["terms"],
      track: {
        raw: 0.3,
        jobClass: "lang:rust",
        engine: "codex",
        n: 12,
        neutral: false,
        successRate: 0.43,
        ci95: [0.17, 0.69] as [number, number],
        costUsd: 1,
      },
      rules: { rules: [{ id: "rr_1", effect: "avoid" as const, reason: "fails 58 %" }], adjustment: -2 },
    };
    const text = renderExplanation({ ...explanation, ranked: [ranked] });
    expect(text).toContain("track: n=12, success 43 %, 95 % 17 %–69 %, $1.00/run");
    expect(text).toContain("rule rr_1: avoid (fails 58 %)");
    expect(text).toContain("rules adjust the score by −2.000");
    // Twelve runs that weigh three after the decay are too few (min n 5): the line says what was weighed.
    const old = { ...ranked, track: { ...ranked.track, raw: 0.5, neutral: true, effectiveN: 3 } };
    const faded = renderExplanation({ ...explanation, ranked: [old] });
    expect(faded).toContain("track: n=12 (weighing 3 after decay), success 43 %");
    expect(faded).toContain("(neutral: too few runs)");
    expect(
      renderExplanation({ ...explanation, ranked: [{ ...ranked, track: { ...ranked.track, effectiveN: 12 } }] }),
    ).toContain("track: n=12, success");
  });

  it("says why a half-open breaker's factory ranks below a lower score: its run would be the one trial", () => {
    const [rejected] = explanation.rejected;
    const base = { ...rejected!, eligible: true, reasons: [], terms: {} as Explanation["ranked"][number]["terms"] };
    const closed = { ...base, factoryId: "fac_b", factoryName: "build-1", score: 3.5 };
    const trial = { ...base, factoryId: "fac_f", factoryName: "flaky-1", score: 4, trial: true as const };
    const text = renderExplanation({ ...explanation, ranked: [closed, trial] });
    expect(text).toMatch(
      /#2 {2}flaky-1 \(fac_f\) {2}score 4\.000\n {6}half-open: trial only when no closed host can take it/,
    );
    expect(text.match(/half-open: trial only/g)).toHaveLength(1); // the closed factory says nothing of it
  });
});

describe("explain: each term row reads as RAW × WEIGHT = CONTRIBUTION", () => {
  it("marks a subtracted term and shows a centred term's offset, so the arithmetic on the row holds", () => {
    expect(rawCell({ raw: 0.99, weight: 2.5, contribution: -2.475 })).toBe("− 0.990");
    expect(rawCell({ raw: 0.3, weight: 1, contribution: -0.2 })).toBe("(0.300 − 0.500)");
    expect(rawCell({ raw: 0.5, weight: 2, contribution: 1 })).toBe("0.500");
    expect(rawCell({ raw: 0, weight: 2.5, contribution: 0 })).toBe("0.000");
  });

  it("renders the starvation penalty of a ranked factory with its minus sign", () => {
    const [rejected] = explanation.rejected;
    const ranked = {
      ...rejected!,
      eligible: true,
      reasons: [],
      score: -1,
      terms: { starvation: { raw: 0.99, weight: 2.5, contribution: -2.475 } } as Explanation["ranked"][number]["terms"],
    };
    expect(renderExplanation({ ...explanation, ranked: [ranked] })).toMatch(/starvation\s+− 0\.990\s+2\.500\s+−2\.475/);
  });
});
