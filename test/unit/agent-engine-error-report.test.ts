// The failure an engine states in its own format (Claude's error result, Codex's turn.failed) reaches the report as
// text the coordinator accepts: cut at 500 bytes of UTF-8 (not 500 UTF-16 units, which halved an emoji), and with
// any lone surrogate a JSON escape spelled (`"\ud800"`) replaced by U+FFFD — the coordinator refuses a frame holding
// one, so such a report was never accepted: the run's final spend went uncharged and the job ran again.
import { describe, expect, it } from "vitest";
import { parseEngineLine } from "../../src/agent/engine-formats.ts";
import { UsageMeter } from "../../src/agent/insights.ts";
import { reportFrame, resultOf } from "../../src/agent/report.ts";
import { utf8Bytes } from "../../src/core/bytes.ts";
import { parseFactoryFrame } from "../../src/shared/protocol.ts";

/** The report frame the agent sends for an engine that exited 1 after printing `line`, as the coordinator reads it. */
function reportAsReceived(line: string) {
  const meter = new UsageMeter({});
  meter.line(line);
  const outcome = resultOf({ rc: 1, signal: null, durationMs: 10 }, { lastError: meter.engineError });
  const frame = reportFrame("job_01", 1, { ...outcome, insights: { ...meter.usage } });
  return { error: meter.engineError, parsed: parseFactoryFrame(JSON.stringify({ ...frame, id: "r1" })) };
}

describe("an engine's own failure text in the report", () => {
  it("a Claude error result whose text holds a lone surrogate escape is reported, the surrogate shown as U+FFFD", () => {
    const line =
      '{"type":"result","subtype":"error_during_execution","is_error":true,"total_cost_usd":2.5,"result":"API Error: \\ud83d broke"}';
    const { error, parsed } = reportAsReceived(line);
    expect(error).toBe("error_during_execution: API Error: \uFFFD broke");
    expect(parsed.ok).toBe(true);
    if (parsed.ok && parsed.frame.type === "fail") expect(parsed.frame.insights?.costUsd).toBe(2.5);
  });

  it("a Codex turn.failed with a lone surrogate is reported too", () => {
    const line = JSON.stringify({ type: "turn.failed", error: { message: "boom \ud800 end" } });
    const { error, parsed } = reportAsReceived(line);
    expect(error).toBe("boom \uFFFD end");
    expect(parsed.ok).toBe(true);
  });

  it("a long error is cut at 500 bytes of UTF-8 on a character boundary, never halving an emoji", () => {
    // 499 ASCII characters, then emoji: a cut at 500 UTF-16 units fell between an emoji's two halves.
    const text = `${"x".repeat(499)}${"😀".repeat(300)}`;
    const facts = parseEngineLine(JSON.stringify({ type: "turn.failed", error: { message: text } }));
    expect(facts?.error).toBe("x".repeat(499));
    const multi = parseEngineLine(JSON.stringify({ type: "turn.failed", error: { message: "漢".repeat(400) } }));
    expect(utf8Bytes(multi?.error ?? "")).toBeLessThanOrEqual(500);
    expect(multi?.error).toBe("漢".repeat(166));
    expect(reportAsReceived(JSON.stringify({ type: "turn.failed", error: { message: text } })).parsed.ok).toBe(true);
  });
});
