// `gigafactory job ID`: on a preempted job the detail says "preempted by <critical job> at <instant>" (a job never
// preempted shows no such line); what the job spent is shown, every run summed — the running one too — against its
// USD budget (summed to the micro-dollar, in shared decimals, percent rounded down as `budget` rounds it), and each
// run's charge in the runs table, with its tokens no USD came for (`spend.unpricedTokens`) beside it.
import { describe, expect, it } from "vitest";
import { renderJob } from "../../src/cli/commands/job.ts";
import type { Job } from "../../src/core/model.ts";
import type { Run } from "../../src/shared/responses.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { jobFixture } from "../support/fixtures.ts";

const AT = Date.UTC(2026, 0, 2, 3, 4, 5);

const job: Job = jobFixture(AT, {
  id: "job_low",
  priority: "low",
  rev: 3,
  leaseEpoch: 2,
  createdAt: AT - 60_000,
});

describe("job rendering", () => {
  it("names the critical job that preempted it and when", () => {
    const text = renderJob({ ...job, preemptedAt: AT, preemptedBy: "job_crit" }, [], AT + 1000);
    expect(text).toMatch(/preempted\s+by job_crit at 2026-01-02T03:04:05Z/);
  });

  it("has no preempted line for a job that was not preempted", () => {
    expect(renderJob(job, [], AT)).not.toContain("preempted");
  });

  it("tells a dead-lettered job's next step, which no waiting reason carries; other ended jobs get none", () => {
    const text = renderJob({ ...job, stage: "dead_letter", waitingReason: undefined }, [], AT);
    expect(text).toContain(
      "Ended in dead_letter: its attempts are used up\n  fix: `gigafactory requeue job_low` runs it again with fresh attempts",
    );
    expect(renderJob({ ...job, stage: "shipped", waitingReason: undefined }, [], AT)).not.toContain("fix:");
  });

  it("shows what the job spent, the running run's charge included, against its budget", () => {
    const run = (leaseEpoch: number, usd: number, tokens: number, endedAt?: number): Run => ({
      jobId: job.id,
      attempt: leaseEpoch,
      factoryId: "f1",
      leaseEpoch,
      startedAt: AT - 10_000,
      ...(endedAt === undefined ? {} : { endedAt }),
      spend: { usd, tokens },
    });
    const runs = [run(1, 1.25, 100, AT - 5000), run(2, 0.749, 50)];
    const text = renderJob({ ...job, budget: { usd: 5 } }, runs, AT);
    expect(text).toMatch(/spent\s+\$2\.00 of \$5\.00 \(39 %\) · 150 tokens/);
    expect(text).toMatch(/SPENT/);
    expect(text).toMatch(/running\s+\$0\.75 · 50 tokens/);
    // Tokens no USD came for (a Codex run's): said beside the run's charge, which does not hold them.
    const codex = { ...run(3, 0, 1_204_311), spend: { usd: 0, tokens: 1_204_311, unpricedTokens: 1_204_311 } };
    const codexView = renderJob({ ...job, budget: { tokens: 2_000_000 } }, [codex], AT);
    expect(codexView).toMatch(/\$0\.00 · 1,204,311 tokens \(1,204,311 unpriced\)/);
    // Grouped as the unpriced count is, in the budget line too.
    expect(codexView).toMatch(/budget\s+2,000,000 tokens/);
  });

  it("sums the runs to the micro-dollar and reads spend and budget in shared decimals", () => {
    const run = (leaseEpoch: number, usd: number): Run => ({
      jobId: job.id,
      attempt: leaseEpoch,
      factoryId: "f1",
      leaseEpoch,
      startedAt: AT,
      endedAt: AT,
      spend: { usd, tokens: 0 },
    });
    // Ten $0.10 runs summed in floats were $0.9999999999999999: "$1.00 of $1.00 (99 %)".
    const tenth = Array.from({ length: 10 }, (_, i) => run(i + 1, 0.1));
    expect(renderJob({ ...job, budget: { usd: 1 } }, tenth, AT)).toMatch(/spent\s+\$1\.00 of \$1\.00 \(100 %\)/);
    // A $0.035 budget read "$0.04 of $0.04": the views' shared decimals.
    const small = renderJob({ ...job, budget: { usd: 0.035 } }, [run(1, 0.03)], AT);
    expect(small).toMatch(/spent\s+\$0\.03 of \$0\.035 \(85 %\)/);
  });

  it("says none when no run reported a spend, and leaves the budget part out when the job has none", () => {
    expect(renderJob(job, [], AT)).toMatch(/spent\s+—/);
    const one: Run = {
      jobId: job.id,
      attempt: 1,
      factoryId: "f",
      leaseEpoch: 1,
      startedAt: AT,
      spend: { usd: 0, tokens: 7 },
    };
    expect(renderJob(job, [one], AT)).toMatch(/spent\s+\$0\.00 · 7 tokens\n/);
  });
});

// A newcomer read factory ids in the runs table while fleet, explain and the dashboard named them: the names come
// from the fleet list read alongside; an id stays where the list is unreadable or no longer holds the factory, and
// joins a name two factories share (a host revoked and enrolled again under its name).
describe("job ID names its factories", () => {
  const runOn = (factoryId: string, attempt: number): Run => ({
    jobId: job.id,
    attempt,
    factoryId,
    leaseEpoch: attempt,
    startedAt: AT - 10_000,
    endedAt: AT - 5_000,
  });
  const held = { ...job, holderFactoryId: "fac_live", leaseExpiresAt: AT + 60_000 };

  it("shows a factory's name in the runs table and as the holder, its id beside the holder's name", () => {
    const names = new Map([["fac_live", "box-1"]]);
    const text = renderJob(held, [runOn("fac_live", 1), runOn("fac_gone", 2)], AT, undefined, names);
    expect(text).toMatch(/holder\s+box-1 fac_live \(expires in/);
    expect(text).toMatch(/\n\s+1\s+box-1\s+1\s/);
    expect(text).toMatch(/\n\s+2\s+fac_gone\s+2\s/);
  });

  it("says a name two factories share with each one's id: a revoked host's runs and its successor's", () => {
    const names = new Map([
      ["fac_old", "box-2"],
      ["fac_live", "box-2"],
      ["fac_a", "box-a"],
    ]);
    const runs = [runOn("fac_old", 1), runOn("fac_live", 2), runOn("fac_a", 3)];
    const text = renderJob(held, runs, AT, undefined, names);
    expect(text).toMatch(/\n\s+1\s+box-2 \(fac_old\)\s+1\s/);
    expect(text).toMatch(/\n\s+2\s+box-2 \(fac_live\)\s+2\s/);
    expect(text).toMatch(/\n\s+3\s+box-a\s+3\s/);
    expect(text).toMatch(/holder\s+box-2 fac_live \(expires in/);
  });

  it("says a lease past its end as expired, not 'expires in 0s' (held until the reaper's sweep)", () => {
    const names = new Map([["fac_live", "box-1"]]);
    const lapsed = { ...held, leaseExpiresAt: AT - 42_000 };
    expect(renderJob(lapsed, [], AT, undefined, names)).toMatch(/holder\s+box-1 fac_live \(expired 42s ago\)/);
    expect(renderJob(held, [], AT, undefined, names)).toMatch(/holder\s+box-1 fac_live \(expires in 1m\)/);
  });

  it("reads the fleet for names, and keeps the ids when that read is refused", async () => {
    for (const fleet of [200, 403]) {
      const stub = await stubCoordinator((req, reply) => {
        if (req.url?.endsWith("/factories"))
          return fleet === 200
            ? reply.json(200, { factories: [{ id: "fac_live", name: "box-1", status: "active" }] })
            : reply.problem(403, { type: "about:blank", title: "Forbidden", detail: "no", code: "forbidden" });
        if (req.url?.endsWith("/runs")) return reply.json(200, { runs: [runOn("fac_live", 1)] });
        return reply.json(200, held);
      });
      const run = await captureCli(["job", job.id, ...connection(stub.url, "p")]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(fleet === 200 ? /\n\s+1\s+box-1\s/ : /\n\s+1\s+fac_live\s/);
    }
  });
});
