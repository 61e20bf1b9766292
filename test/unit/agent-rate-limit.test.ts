// The engine's rate-limit report (agent/insights, agent/report): a `{"gf_rate_limited": {"retryAfterSeconds": N}}`
// line is read (clamped to an integer 0…86 400 s), ordinary output is not, and a run whose engine reported it ends
// `rate_limited` with that N whatever its exit code — unless a budget stopped it first. The bundled sample engine's
// `gf-sample-rate-limit: N` knob prints exactly that line.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseRateLimitLine, UsageMeter } from "../../src/agent/insights.ts";
import { resultOf } from "../../src/agent/report.ts";

describe("rate-limit line", () => {
  it("reads retryAfterSeconds, rounds and clamps it", () => {
    expect(parseRateLimitLine('{"gf_rate_limited": {"retryAfterSeconds": 30}}')).toBe(30);
    expect(parseRateLimitLine('  {"gf_rate_limited":{"retryAfterSeconds":2.6}} ')).toBe(3);
    expect(parseRateLimitLine('{"gf_rate_limited": {"retryAfterSeconds": 1e9}}')).toBe(86_400);
  });

  it("ignores ordinary output, broken JSON and nonsense values", () => {
    for (const line of [
      "429 Too Many Requests",
      '{"gf_rate_limited": {"retryAfterSeconds": 3',
      '{"gf_rate_limited": {"retryAfterSeconds": -1}}',
      '{"gf_rate_limited": {"retryAfterSeconds": "soon"}}',
      '{"gf_rate_limited": 5}',
      '{"note": "gf_rate_limited"}',
    ]) {
      expect(parseRateLimitLine(line)).toBeUndefined();
    }
  });

  it("the meter keeps the last one seen, next to the usage", () => {
    const meter = new UsageMeter({});
    meter.line('{"gf_insights": {"tokensIn": 10}}');
    meter.line('{"gf_rate_limited": {"retryAfterSeconds": 5}}');
    meter.line('{"gf_rate_limited": {"retryAfterSeconds": 7}}');
    expect(meter.rateLimitedFor).toBe(7);
    expect(meter.usage).toEqual({ tokensIn: 10, unpricedTokens: 10 });
  });
});

describe("resultOf with a rate limit", () => {
  const exit = { rc: 1, signal: null, durationMs: 10 };
  it("ends the run rate_limited with retryAfterSeconds, whatever the exit code", () => {
    for (const rc of [0, 1]) {
      const r = resultOf({ ...exit, rc }, { rateLimitedFor: 30 });
      expect(r.type).toBe("fail");
      expect(r.result).toMatchObject({ outcome: "rate_limited", retryAfterSeconds: 30, rc });
    }
  });

  it("a budget stop still wins: the engine overspent before it was throttled", () => {
    const r = resultOf({ ...exit, stoppedFor: "budget_usage" }, { rateLimitedFor: 30, usageBreach: "too much" });
    expect(r.result.outcome).toBe("budget_exceeded");
  });
});

describe("sample engine knob", () => {
  it("gf-sample-rate-limit: N prints the gf_rate_limited line and exits 1 at once", () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "gf-sample-"));
    const engine = path.resolve("examples/engines/sample-engine.mjs");
    const out = spawnSync(process.execPath, [engine], { cwd, input: "# throttled\ngf-sample-rate-limit: 12\n" });
    expect(out.status).toBe(1);
    const lines = out.stdout.toString().split("\n");
    expect(lines.map(parseRateLimitLine).filter((n) => n !== undefined)).toEqual([12]);
  });
});
