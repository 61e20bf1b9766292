// The sample engine's `gf-sample-no-usd` body line makes it report tokens and no USD, as Codex does: the agent reads
// such a run's usage as tokens with no cost (agent/insights), so the coordinator prices them at the product's
// settings `prices` (core/prices) — the only way a demo without an AI account shows an estimate. Without the line it
// reports USD as before; with `gf-sample-cost: X` too, its tokens are still X's (100 000 per USD) and no USD on any
// line; `gf-sample-no-usd: 0` turns it off.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseInsightsLine } from "../../src/agent/insights.ts";

const ENGINE = path.resolve("examples/engines/sample-engine.mjs");

/** Every usage line the sample engine prints for `body`, as the agent reads it, and its exit code. */
function usageOf(body: string) {
  const cwd = mkdtempSync(path.join(tmpdir(), "gf-sample-no-usd-"));
  try {
    const out = spawnSync(process.execPath, [ENGINE], {
      cwd,
      input: body,
      env: { ...process.env, GF_SAMPLE_SECONDS: "0", GF_SAMPLE_COST: "", GF_JOB_ID: "job_1" },
    });
    const lines = out.stdout.toString().split("\n");
    return { status: out.status, usage: lines.flatMap((l) => parseInsightsLine(l) ?? []) };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

describe("sample engine: gf-sample-no-usd", () => {
  it("reports tokens and no USD; without the line, USD as before", () => {
    const plain = usageOf("# Price me\n");
    expect(plain.status).toBe(0);
    expect(plain.usage.at(-1)?.costUsd).toBeGreaterThan(0);
    for (const body of ["# Price me\ngf-sample-no-usd\n", "# Price me\n  gf-sample-no-usd: 1  \n"]) {
      const { status, usage } = usageOf(body);
      expect(status, body).toBe(0);
      expect(usage.length, body).toBeGreaterThan(0);
      for (const u of usage) expect(u, body).not.toHaveProperty("costUsd");
      const last = usage.at(-1);
      expect(last?.tokensIn, body).toBeGreaterThan(0);
      expect(last?.tokensOut, body).toBeGreaterThan(0);
    }
  });

  it("with gf-sample-cost: X, X's tokens (100 000 per USD) on every line, no USD on any", () => {
    const { usage } = usageOf("# Costly\ngf-sample-cost: 0.5\ngf-sample-no-usd\n");
    for (const u of usage) expect(u).not.toHaveProperty("costUsd");
    expect(usage.at(-1)).toEqual({ tokensIn: 40_000, tokensOut: 10_000 });
  });

  it("gf-sample-no-usd: 0 reports USD, as without the line", () => {
    const { usage } = usageOf("# Price me\ngf-sample-no-usd: 0\n");
    expect(usage.at(-1)?.costUsd).toBeGreaterThan(0);
  });
});
