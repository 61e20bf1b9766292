// `gigafactory job ID` reads a run's estimate at settings prices (`spend.estimatedUsd`, core/price-estimate) as the
// `budget` line does: the job's spent line holds it (the job's own budget was charged it: jobs/runs `jobSpendMarks`)
// and says which part is an estimate, and the run's SPENT cell says its own. Red before: the view summed `spend.usd`
// only — a Codex run charged $1.50 against a $1 job budget read "$0.00 of $1.00 (0 %)" — and the answer's
// `estimatedUsd` was dropped as it was read (cli/read-answers). Tokens are grouped by thousands in both lines, as
// the unpriced count beside them is (pass 51: "500000 tokens (500,000 unpriced …)").
import { describe, expect, it } from "vitest";
import { renderJob } from "../../src/cli/commands/job.ts";
import type { Job } from "../../src/core/model.ts";
import type { Run } from "../../src/shared/responses.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { jobFixture } from "../support/fixtures.ts";

const AT = Date.UTC(2026, 0, 2, 3, 4, 5);
const job: Job = { ...jobFixture(AT, { id: "job_codex", leaseEpoch: 2 }), budget: { usd: 2 } };
const run = (leaseEpoch: number, spend: Run["spend"]): Run => ({
  jobId: job.id,
  attempt: leaseEpoch,
  factoryId: "f1",
  leaseEpoch,
  startedAt: AT - 10_000,
  endedAt: AT - 5_000,
  spend,
});
const codex = run(1, { usd: 0, tokens: 500_000, unpricedTokens: 500_000, estimatedUsd: 1.5 });
const claude = run(2, { usd: 0.25, tokens: 1000 });

describe("job ID shows a run's estimate at settings prices", () => {
  it("counts the estimate in what the job spent, and says which part of it is one", () => {
    const text = renderJob(job, [codex, claude], AT);
    expect(text).toMatch(/spent\s+\$1\.75 of \$2\.00 \(87 %\) · 501,000 tokens/);
    expect(text).toMatch(/estimated\s+\$1\.50 of the spend \(unpriced tokens at settings prices/);
    expect(text).toMatch(/\$1\.50 · 500,000 tokens \(500,000 unpriced, \$1\.50 estimated\)/);
    expect(text).toMatch(/\$0\.25 · 1,000 tokens\s/);
  });

  it("has no estimated line for a job none of whose runs were estimated", () => {
    expect(renderJob(job, [claude], AT)).not.toMatch(/estimated/);
  });

  it("keeps the answer's estimatedUsd as it reads the runs", async () => {
    const stub = await stubCoordinator((req, reply) => {
      if (req.url?.endsWith("/factories")) return reply.json(200, { factories: [] });
      if (req.url?.endsWith("/runs")) return reply.json(200, { runs: [codex] });
      return reply.json(200, job);
    });
    const out = await captureCli(["job", job.id, ...connection(stub.url, "p")]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/spent\s+\$1\.50 of \$2\.00 \(75 %\)/);
  });
});
