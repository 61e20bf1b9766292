// A fresh engine on a resumed lease reports the run's spend so far plus its own: the agent process died, came back
// within the lease and started a new engine, whose cumulative usage starts at 0 — under the run's high-water mark,
// so the coordinator charged nothing until it passed it ($3, then $2 more, was charged $3) and the agent held the
// new engine alone to the allowance. With `welcome.leases[].runSpent` {usd: 3} and an engine reporting $2, the
// report says $5 and trips a $4.50 allowance. An engine still running across a mere reconnect keeps its seat and adds
// no base (its own count already holds it). fast-check: over any sequence of crashes, what the coordinator charges
// (core/budget `accrue` of every report) is exactly the sum of each engine's last report. Real Supervisor, seat and
// sample engine (its `gf-sample-cost` reports), fake connection (test/unit/agent-fakes). The wall budget too:
// `budget.wallSeconds` bounds the run, so a fresh engine on a lease whose `runStartedAt` was 9 s ago, under 10 s,
// is stopped `budget_exceeded` with what is left (the message saying how far into the run) — not given 10 s again.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assignmentProblem } from "../../src/agent/assignment-guard.ts";
import type { OutFrame } from "../../src/agent/connection.ts";
import { runMeter, type Usage } from "../../src/agent/insights.ts";
import { runUsage } from "../../src/agent/run-usage.ts";
import { toMicros } from "../../src/core/budget.ts";
import { accrue, type RunSpend } from "../../src/core/run-accrual.ts";
import { assignment, fakeSupervisor, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

describe("runUsage", () => {
  it("adds the run's spend so far to the fresh engine's own cumulative usage (tokens to tokensIn)", () => {
    const engine = { costUsd: 2, tokensIn: 150, tokensOut: 50 };
    // From a coordinator that keeps no written part the base's tokens (in + out, split unknown) go on tokensIn.
    expect(runUsage({ usd: 3, tokens: 1000 }, engine)).toEqual({ costUsd: 5, tokensIn: 1150, tokensOut: 50 });
    // baseTokens: how many of tokensIn they are, when unpriced (core/prices `estimateUsd` may price them as written).
    const unpricedBase = { tokensIn: 1150, tokensOut: 50, unpricedTokens: 1000, baseTokens: 1000 };
    expect(runUsage({ usd: 0, tokens: 1000 }, { ...engine, costUsd: 0 })).toEqual({ ...unpricedBase, costUsd: 0 });
    expect(runUsage({ usd: 0.1, tokens: 0 }, { costUsd: 0.2 })).toEqual({ costUsd: 0.3 }); // micro-dollars, not floats
    expect(runUsage({ usd: 3, tokens: 10 }, {})).toEqual({ costUsd: 3, tokensIn: 10 }); // omitted
    expect(runUsage(undefined, engine)).toBe(engine);
    expect(runUsage({ usd: 0, tokens: 0 }, engine)).toBe(engine);
  });

  it("folds a base whose written part the coordinator kept by side, and then says no baseTokens (the split is known)", () => {
    const engine = { tokensIn: 100_000, tokensOut: 10_000 };
    // 400k read and 100k written before the restart: read on tokensIn, written on tokensOut, as they were.
    const split = { tokensIn: 500_000, tokensOut: 110_000, unpricedTokens: 610_000 };
    expect(runUsage({ usd: 0, tokens: 500_000, tokensOut: 100_000 }, engine)).toEqual(split);
    // A field neither side has stays absent; a side the base has is added even when the engine's is absent.
    const unpricedBase = { costUsd: 1, unpricedTokens: 30 };
    expect(runUsage({ usd: 0, tokens: 30, tokensOut: 0 }, { costUsd: 1 })).toEqual({ ...unpricedBase, tokensIn: 30 });
    expect(runUsage({ usd: 0, tokens: 30, tokensOut: 30 }, { costUsd: 1 })).toEqual({ ...unpricedBase, tokensOut: 30 });
    // Never more written than spent: a written part over the sum (a buggy coordinator) is cut to it.
    expect(runUsage({ usd: 0, tokens: 30, tokensOut: 45 }, { costUsd: 1, tokensIn: 5 })).toEqual({
      ...unpricedBase,
      tokensIn: 5,
      tokensOut: 30,
    });
    // A priced base goes on tokensIn whatever its split (agent/run-usage foldTokens: by side it would widen the
    // estimate's written bound for the fresh engine's unpriced tokens).
    expect(runUsage({ usd: 1, tokens: 30, tokensOut: 30 }, { costUsd: 1 })).toEqual({ costUsd: 2, tokensIn: 30 });
    // Capped as each part is, within the wire's bound.
    const huge = runUsage({ usd: 0, tokens: 2e12, tokensOut: 1.5e12 }, { tokensIn: 5, tokensOut: 5 });
    expect(huge).toMatchObject({ tokensIn: 5e11 + 5, tokensOut: 1e12 });
    expect(huge.baseTokens).toBeUndefined();
  });

  const usd = fc.integer({ min: 0, max: 5_000_000 }).map((m) => m / 1e6);
  const tokens = fc.integer({ min: 0, max: 1_000_000 });
  /** One engine's cumulative reports: non-decreasing (running totals), at least one. */
  const engineReports = fc.array(fc.tuple(usd, tokens, tokens), { minLength: 1, maxLength: 6 }).map((steps) => {
    let acc = { costUsd: 0, tokensIn: 0, tokensOut: 0 };
    return steps.map(([c, i, o]) => {
      acc = {
        costUsd: (toMicros(acc.costUsd) + toMicros(c)) / 1e6,
        tokensIn: acc.tokensIn + i,
        tokensOut: acc.tokensOut + o,
      };
      return acc;
    });
  });

  it("charges every engine's spend across any number of crashes: the run's mark is the sum of their last reports", () => {
    fc.assert(
      fc.property(fc.array(engineReports, { minLength: 1, maxLength: 5 }), (sessions) => {
        let seen: RunSpend = { costUsd: 0, tokens: 0 };
        let chargedMicros = 0;
        let last: Usage = {};
        for (const reports of sessions) {
          // A restart: the coordinator's mark is the base (welcome.leases[].runSpent).
          const base = { usd: seen.costUsd, tokens: seen.tokens };
          for (const engine of reports) {
            const reported = runUsage(base, engine);
            // Monotone across the restart: never below what the run had reported before it.
            expect(reported.costUsd ?? 0).toBeGreaterThanOrEqual(last.costUsd ?? 0);
            const charged = accrue(seen, {
              costUsd: reported.costUsd ?? 0,
              tokens: (reported.tokensIn ?? 0) + (reported.tokensOut ?? 0),
            });
            chargedMicros += toMicros(charged.deltaUsd);
            seen = charged.seen;
            last = reported;
          }
        }
        const lastOfEach = sessions.map((r) => r[r.length - 1] as Usage);
        const usdSum = lastOfEach.reduce((s, u) => s + toMicros(u.costUsd ?? 0), 0);
        expect(chargedMicros).toBe(usdSum);
        expect(seen.tokens).toBe(lastOfEach.reduce((s, u) => s + (u.tokensIn ?? 0) + (u.tokensOut ?? 0), 0));
      }),
    );
  });

  it("a meter counts the base only on a seat started for a welcome's lease, not an assign's", () => {
    const a = { ...assignment("job_m", "b", 2, { budget: { usd: 10 } }), allowance: { usd: 4.5 } };
    const withBase = { ...a, runSpent: { usd: 3, tokens: 0 } };
    const line = JSON.stringify({ gf_insights: { costUsd: 2 } });
    const resumed = runMeter(withBase, true);
    expect(resumed.line(line)).toMatch(/^spent \$5\.00, more than the \$4\.50 left/);
    expect(resumed.usage).toEqual({ costUsd: 5 });
    const pushed = runMeter(withBase, false);
    expect(pushed.line(line)).toBeUndefined();
    expect(pushed.usage).toEqual({ costUsd: 2 });
    expect(runMeter(a, true).usage).toEqual({}); // an older coordinator: no base, nothing reported yet
  });

  it("a lease's runSpent is optional but, when sent, must be non-negative numbers", () => {
    const a = assignment("job_a", "body", 2);
    expect(assignmentProblem(a)).toBeUndefined();
    expect(assignmentProblem({ ...a, runSpent: { usd: 3, tokens: 0 } })).toBeUndefined();
    expect(assignmentProblem({ ...a, runSpent: { usd: -1, tokens: 0 } })).toMatch(/^runSpent\.usd: /);
    expect(assignmentProblem({ ...a, runSpent: { usd: 1, tokens: 1.5 } })).toMatch(/^runSpent\.tokens: /);
    expect(assignmentProblem({ ...a, runSpent: { usd: 1 } })).toMatch(/^runSpent\.tokens: /);
    // Its written part (of tokens, absent from older coordinators): a whole number, never more than tokens.
    expect(assignmentProblem({ ...a, runSpent: { usd: 1, tokens: 10, tokensOut: 10 } })).toBeUndefined();
    expect(assignmentProblem({ ...a, runSpent: { usd: 1, tokens: 10, tokensOut: 11 } })).toMatch(
      /^runSpent\.tokensOut: .*at most tokens/,
    );
    expect(assignmentProblem({ ...a, runSpent: { usd: 1, tokens: 10, tokensOut: 1.5 } })).toMatch(
      /^runSpent\.tokensOut: /,
    );
    expect(assignmentProblem({ ...a, runSpent: { usd: 1, tokens: 10, tokensOut: -1 } })).toMatch(
      /^runSpent\.tokensOut: /,
    );
  });

  it("a lease's runStartedAt is optional but, when sent, must be a whole ms epoch", () => {
    const a = assignment("job_a", "body", 2);
    expect(assignmentProblem({ ...a, runStartedAt: Date.now() })).toBeUndefined();
    expect(assignmentProblem({ ...a, runStartedAt: -1 })).toMatch(/^runStartedAt: /);
    expect(assignmentProblem({ ...a, runStartedAt: "yesterday" })).toMatch(/^runStartedAt: /);
  });
});

const costs = (sent: OutFrame[], jobId: string) =>
  sent.flatMap((f) => ("jobId" in f && f.jobId === jobId && "insights" in f ? [f.insights?.costUsd] : []));

describe("a fresh engine on a resumed lease", () => {
  it("reports the run's $3 so far plus its own $2, and stops past the $4.50 allowance", async () => {
    const agent = tempAgent(rest.url);
    const { conn, stop } = fakeSupervisor(agent);
    try {
      // $1 a second for 4 s: $1, $2 (with the $3 base: $5, past $4.50), $3, $4 — stopped at its own $2. Not faster:
      // its $3 must not be out before the stop lands on a loaded host, or the report says $6.
      const a = assignment("job_resumed", "gf-sample-cost: 4\ngf-sample-seconds: 4\n", 3, { budget: { usd: 10 } });
      conn.welcome([{ ...a, allowance: { usd: 4.5 }, runSpent: { usd: 3, tokens: 300_000 } }]);
      const end = await until("the run's final report", () => conn.finalReport("job_resumed"));
      expect(end.type).toBe("fail");
      const result = end.type === "fail" ? end.result : undefined;
      expect(result).toMatchObject({ outcome: "budget_exceeded", retryable: false });
      expect(result?.message).toContain("spent $5.00, more than the $4.50 left of the job's budget of $10.00");
      const insights = end.type === "fail" ? end.insights : undefined;
      expect(insights?.costUsd).toBe(5);
      // Tokens too: the base's 300 000 plus the engine's 200 000 ($2 at 100 000 per USD).
      expect((insights?.tokensIn ?? 0) + (insights?.tokensOut ?? 0)).toBe(500_000);
      expect(costs(conn.sent, "job_resumed")).toContain(4); // progress carried base + engine ($3 + $1)
    } finally {
      await stop();
      agent.remove();
    }
  });

  it("a reconnect that finds the engine still running adds no base: its own count already holds the run's spend", async () => {
    const agent = tempAgent(rest.url);
    const { conn, stop } = fakeSupervisor(agent);
    try {
      conn.welcome();
      // $1 every 0.5 s: the welcome below lands 1.5 s before its last report, which the base would put past $4.50.
      const a = assignment("job_kept", "gf-sample-cost: 4\ngf-sample-seconds: 2\n", 2, { budget: { usd: 10 } });
      conn.push({ type: "assign", assignments: [{ ...a, allowance: { usd: 4.5 } }] });
      await until("the engine's first report", () => costs(conn.sent, "job_kept").includes(1));
      // The socket dropped and came back; the coordinator lists the lease with what this engine reported.
      conn.welcome([{ ...a, allowance: { usd: 4.5 }, runSpent: { usd: 1, tokens: 100_000 } }]);
      const end = await until("the run's final report", () => conn.finalReport("job_kept"));
      expect(end.type).toBe("complete"); // $4, within $4.50: not $1 counted twice
      expect(end.type === "complete" ? end.insights?.costUsd : undefined).toBe(4);
      expect(Math.max(...costs(conn.sent, "job_kept").map((c) => c ?? 0))).toBe(4);
    } finally {
      await stop();
      agent.remove();
    }
  });
});

describe("a fresh engine on a resumed lease's wall budget", () => {
  it("gets what is left of the run's wallSeconds: started 9 s ago under 10 s, a 3 s engine is stopped", async () => {
    const agent = tempAgent(rest.url);
    const { conn, stop } = fakeSupervisor(agent);
    try {
      const a = assignment("job_wall", "gf-sample-seconds: 3\n", 3, { budget: { wallSeconds: 10 } });
      conn.welcome([{ ...a, runStartedAt: Date.now() - 9_000 }]);
      const end = await until("the run's final report", () => conn.finalReport("job_wall"));
      expect(end.type).toBe("fail"); // without runStartedAt honoured: 10 s again, and the 3 s engine completes
      const result = end.type === "fail" ? end.result : undefined;
      expect(result).toMatchObject({ outcome: "budget_exceeded", retryable: false });
      expect(result?.message).toMatch(
        /^wall-clock budget of 10s exceeded; engine stopped after \d+(\.\d{1,3})?s, \d+(\.\d{1,3})?s into the run \(resumed \d+(\.\d{1,3})?s after it started\)$/,
      );
    } finally {
      await stop();
      agent.remove();
    }
  });

  it("an assign's lease (not resumed) ignores a runStartedAt: its engine gets the whole wallSeconds", async () => {
    const agent = tempAgent(rest.url);
    const { conn, stop } = fakeSupervisor(agent);
    try {
      conn.welcome();
      // 1.5 s of work: past the 1 s a runStartedAt 9 s ago would leave it, well within the 10 s it is owed.
      const a = assignment("job_fresh", "gf-sample-seconds: 1.5\n", 2, { budget: { wallSeconds: 10 } });
      conn.push({ type: "assign", assignments: [{ ...a, runStartedAt: Date.now() - 9_000 }] });
      const end = await until("the run's final report", () => conn.finalReport("job_fresh"));
      expect(end.type).toBe("complete");
    } finally {
      await stop();
      agent.remove();
    }
  });
});
