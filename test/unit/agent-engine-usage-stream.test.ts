// A real engine process's usage reaches the meter whatever the pipe does to its output: a Claude result line of
// 200 KB written in small chunks (a multi-byte character cut between them, stderr interleaved, bytes that are not
// UTF-8 on the lines before) is read whole, once; and a Codex run whose running total passes budget.tokens is stopped
// by the agent (SIGTERM to its group, as seat-runner does) and reported budget_exceeded, not run to its end.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BUDGET_GRACE_MS, startEngine } from "../../src/agent/engine-runner.ts";
import { UsageMeter } from "../../src/agent/insights.ts";
import { resultOf } from "../../src/agent/report.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-usage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `script` as the engine with a meter fed the way agent/seat-runner feeds it: a breach stops the engine. */
function run(script: string, meter: UsageMeter) {
  const lines: string[] = [];
  const eng = startEngine({
    argv: [process.execPath, "-e", script],
    cwd: dir,
    env: process.env as Record<string, string>,
    stdin: "",
    onLine: (_stream, text) => {
      lines.push(text);
      if (meter.line(text)) eng.stop("budget_usage", BUDGET_GRACE_MS);
    },
  });
  return { eng, lines };
}

describe("engine output → usage", () => {
  it("reads a 200 KB Claude result line written in chunks, with stderr and non-UTF-8 bytes around it", async () => {
    // Built inside the engine: a 200 KB argv is more than the kernel takes.
    const script = `const result = JSON.stringify({ type: "result", subtype: "success", is_error: false,
        result: "Done ✓ " + "é".repeat(100000), total_cost_usd: 1.25,
        usage: { input_tokens: 100, cache_creation_input_tokens: 50, cache_read_input_tokens: 25, output_tokens: 10 } });
      const b = Buffer.from(result + "\\n");
      process.stdout.write(Buffer.from([0xff, 0xfe, 0x0a]));
      let i = 0;
      (function next() {
        if (i >= b.length) return;
        const n = Math.min(4093, b.length - i); // odd: cuts the two-byte "é" between chunks
        process.stdout.write(b.subarray(i, i + n), () => { process.stderr.write("tick\\n"); i += n; next(); });
      })();`;
    const meter = new UsageMeter({});
    const { eng } = run(script, meter);
    expect((await eng.exited).rc).toBe(0);
    expect(meter.usage).toEqual({ tokensIn: 175, tokensOut: 10, costUsd: 1.25 });
  });

  it("stops a Claude run midway once its API calls pass budget.tokens, before any result", async () => {
    const call = (id: string) =>
      JSON.stringify({
        type: "assistant",
        message: { id, content: [], usage: { input_tokens: 5, cache_read_input_tokens: 4000, output_tokens: 100 } },
      });
    const meter = new UsageMeter({ tokens: 10_000 });
    const lines = [call("msg_1"), call("msg_1"), call("msg_2"), call("msg_3")];
    const { eng } = run(`console.log(${JSON.stringify(lines.join("\n"))}); setTimeout(()=>{}, 60000)`, meter);
    const exit = await eng.exited;
    expect(exit.stoppedFor).toBe("budget_usage");
    expect(meter.breach).toBe("used 12315 tokens, budget is 10000");
  });

  it("stops a Codex run whose running total passes budget.tokens and reports budget_exceeded", async () => {
    const turn = JSON.stringify({
      type: "turn.completed",
      usage: { input_tokens: 9000, cached_input_tokens: 8000, output_tokens: 2000 },
    });
    // Prints its total, then would work for a minute more: only the agent's stop ends it.
    const meter = new UsageMeter({ tokens: 10_000 });
    const { eng } = run(`console.log(${JSON.stringify(turn)}); setTimeout(()=>{}, 60000)`, meter);
    const exit = await eng.exited;
    expect(exit.stoppedFor).toBe("budget_usage");
    expect(exit.signal).toBe("SIGTERM");
    const report = resultOf(exit, { usageBreach: meter.breach });
    expect(report.result).toMatchObject({ outcome: "budget_exceeded", retryable: false });
    expect(report.result.message).toContain("used 11000 tokens, budget is 10000");
  });
});
