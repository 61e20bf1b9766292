// `gigafactory history` over a real local socket: a page that has more ends with the `--cursor` of the next; the
// last page of a browse ends with the `--cursor` that shows what reaches D1 later (a late row, a run's outcome) —
// without it a reader had no way on from the end but to read it all again — and an empty page read with that cursor
// says nothing has landed yet and gives the same cursor back. Each line keeps the filter (`--job`) it was read with.
// A run's COST says its unpriced tokens beside the USD (D1's `unpricedTokens`), as `job` says a run's spend: a Codex
// run's $0.00 read as free. A run charged an estimate at settings prices (D1's `estimatedUsd`) reads its charge and
// says the estimated part in the words of `job`'s SPENT cell (cli/run-charge-text, one formatter): a run charged $1.80
// read "— (500,000 unpriced)" while `job` and `budget` said $1.80 estimated; `--json` carries the field as D1 gave it.
// A `budget_exceeded` run's OUTCOME says whose budget stopped it (D1's `retryable`): the
// product's (requeued, not counted in any success ratio) or the job's own (a failure) — the outcome alone could not.
import { describe, expect, it } from "vitest";
import { spendText } from "../../src/cli/commands/job-spend.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const NOW = 1_700_000_060_000;
const RUN = {
  id: "p:j1:e1",
  productId: "p",
  jobId: "j1",
  attempt: 1,
  factoryId: "f",
  leaseEpoch: 1,
  engine: null,
  startedAt: NOW - 60_000,
  endedAt: null,
  outcome: null,
  rc: null,
  message: null,
  tokensIn: null,
  tokensOut: null,
  costUsd: null,
  unpricedTokens: null,
  estimatedUsd: null,
  retryable: null,
  ingestSeq: 4,
};

describe("gigafactory history", () => {
  it("ends a page with the cursor of the next, the last one with the cursor that follows what lands later", async () => {
    const { url, lines } = await stubCoordinator(({ url }, reply) => {
      if (url.includes("cursor=FOLLOW"))
        return reply.json(200, { kind: "runs", items: [], more: false, nextCursor: "FOLLOW" });
      if (url.includes("cursor=NEXT"))
        return reply.json(200, { kind: "runs", items: [RUN], more: false, nextCursor: "FOLLOW" });
      return reply.json(200, { kind: "runs", items: [RUN], more: true, nextCursor: "NEXT" });
    });
    const cli = (...argv: string[]) => captureCli([...argv, ...connection(url, "p")], { now: NOW });
    const first = await cli("history", "--kind", "runs", "--job", "j1", "--limit", "1");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/j1\s+1\s+f\s+1\s+running/);
    expect(first.stdout.trim().split("\n").at(-1)).toBe("more: history --kind runs --job j1 --cursor NEXT");
    const last = await cli("history", "--kind", "runs", "--job", "j1", "--cursor", "NEXT");
    expect(last.stdout.trim().split("\n").at(-1)).toBe("later: history --kind runs --job j1 --cursor FOLLOW");
    const empty = await cli("history", "--kind", "runs", "--cursor", "FOLLOW");
    expect(empty.stdout.trim().split("\n")).toEqual([
      "no runs history after that cursor yet",
      "later: history --kind runs --cursor FOLLOW",
    ]);
    // Beside the fleet list that names a run's factory (cli/factory-names): every other read is a page of history.
    const reads = lines.filter((l) => !l.startsWith("GET /api/v1/products/p/factories"));
    expect(reads.every((l) => l.startsWith("GET /api/v1/products/p/history?"))).toBe(true);
  });

  it("shows a run's unpriced tokens beside its cost", async () => {
    const ended = { endedAt: NOW - 1_000, outcome: "success", tokensIn: 1_000_000, tokensOut: 234_567 };
    const codex = { ...RUN, ...ended, costUsd: 0, unpricedTokens: 1_234_567 };
    const claude = { ...RUN, ...ended, id: "p:j2:e1", jobId: "j2", costUsd: 0.5 };
    const older = { ...claude, id: "p:j3:e1", jobId: "j3", unpricedTokens: undefined }; // a coordinator before 0011
    const { url } = await stubCoordinator((_req, reply) =>
      reply.json(200, { kind: "runs", items: [codex, claude, older], more: false, nextCursor: "FOLLOW" }),
    );
    const out = await captureCli(["history", "--kind", "runs", ...connection(url, "p")], { now: NOW });
    expect(out.code).toBe(0);
    const line = (job: string) => out.stdout.split("\n").find((l) => l.includes(` ${job} `)) ?? "";
    expect(line("j1")).toMatch(/\$0\.00 \(1,234,567 unpriced\)/);
    expect(line("j2")).toMatch(/\$0\.50(?! \()/);
    expect(line("j3")).toMatch(/\$0\.50(?! \()/);
  });

  it("shows a run's estimate at settings prices in its cost, in the words of `job`", async () => {
    const ended = { endedAt: NOW - 1_000, outcome: "success", tokensIn: 400_000, tokensOut: 100_000 };
    const codex = { ...RUN, ...ended, unpricedTokens: 500_000, estimatedUsd: 1.8 };
    // Its engine's USD came in under the estimate: the rest of the estimate stays charged (core/price-estimate).
    const under = { ...RUN, ...ended, id: "p:j2:e1", jobId: "j2", costUsd: 0.5, estimatedUsd: 1 };
    const older = { ...codex, id: "p:j3:e1", jobId: "j3", estimatedUsd: undefined }; // a coordinator before 0013
    const items = [codex, under, older];
    const { url } = await stubCoordinator((_req, reply) =>
      reply.json(200, { kind: "runs", items, more: false, nextCursor: "FOLLOW" }),
    );
    const out = await captureCli(["history", "--kind", "runs", ...connection(url, "p")], { now: NOW });
    expect(out.code).toBe(0);
    const line = (job: string) => out.stdout.split("\n").find((l) => l.includes(` ${job} `)) ?? "";
    expect(line("j1")).toMatch(/\$1\.80 \(500,000 unpriced, \$1\.80 estimated\)/);
    // As `job`'s SPENT cell says the same run's charge (its tokens aside).
    const job = spendText({ usd: 0, tokens: 500_000, unpricedTokens: 500_000, estimatedUsd: 1.8 }, "$1.80", "$1.80");
    expect(line("j1")).toContain(job.replace(" · 500,000 tokens", ""));
    expect(line("j2")).toMatch(/\$1\.50 \(\$1\.00 estimated\)/);
    expect(line("j3")).toMatch(/— \(500,000 unpriced\)/);

    const json = await captureCli(["history", "--kind", "runs", "--json", ...connection(url, "p")], { now: NOW });
    expect(JSON.parse(json.stdout).items.map((i: { estimatedUsd?: number }) => i.estimatedUsd)).toEqual([
      1.8,
      1,
      undefined,
    ]);
  });

  it("says whose budget a budget_exceeded run was stopped by", async () => {
    const ended = { endedAt: NOW - 1_000, outcome: "budget_exceeded" };
    const stop = { ...RUN, ...ended, retryable: true };
    const own = { ...RUN, ...ended, id: "p:j2:e1", jobId: "j2", retryable: false };
    const older = { ...RUN, ...ended, id: "p:j3:e1", jobId: "j3", retryable: null }; // a D1 row before 0012: D1 answers null
    const { url } = await stubCoordinator((_req, reply) =>
      reply.json(200, { kind: "runs", items: [stop, own, older], more: false, nextCursor: "FOLLOW" }),
    );
    const out = await captureCli(["history", "--kind", "runs", ...connection(url, "p")], { now: NOW });
    expect(out.code).toBe(0);
    const line = (job: string) => out.stdout.split("\n").find((l) => l.includes(` ${job} `)) ?? "";
    expect(line("j1")).toMatch(/budget_exceeded \(product budget\)/);
    expect(line("j2")).toMatch(/budget_exceeded \(job budget\)/);
    expect(line("j3")).toMatch(/budget_exceeded(?! \()/);
  });
});
