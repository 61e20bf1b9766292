// Pass 47's hostile review of the money path (pure rules and the agent's meter), red on main: each test names a
// fault in how a run's spend becomes the cost the coordinator charges. Faults only, no fixes here.
import { describe, expect, it } from "vitest";
import { UsageMeter } from "../../src/agent/insights.ts";

/** One Claude Code `stream-json` assistant line: one API call's usage (input and output tokens). */
const claudeCall = (id: string, input: number, output: number) =>
  JSON.stringify({
    type: "assistant",
    message: { id, model: "claude-sonnet-4-5", content: [], usage: { input_tokens: input, output_tokens: output } },
  });
/** One Codex `exec --json` `turn.completed` event: the thread's running token totals. */
const codexTurn = (input: number, output: number) =>
  JSON.stringify({
    type: "turn.completed",
    usage: { input_tokens: input, cached_input_tokens: 0, output_tokens: output },
  });

describe("pass 47 review: spend an engine reports in tokens only", () => {
  // A user loses: a Claude run is priced only by its final `result` line. Stopped before it — wall time, a cancel,
  // the product budget's own `stop`, a lost lease, a drain — its report carries tokens and no cost, so the
  // coordinator charges $0 for it (core/run-accrual) and its job's `budget.usd` never stopped it: 20 M tokens
  // (~$60+ at list prices) ran against a $1 allowance. The budget's `stop` thus erases the very spend it stops.
  it("a Claude run stopped before its result line has spent tokens but reports $0 and never breaches budget.usd", () => {
    const meter = new UsageMeter({ usd: 1 }, undefined, () => 0);
    for (let i = 0; i < 10; i++) meter.line(claudeCall(`msg_${i}`, 1_900_000, 100_000));
    expect((meter.usage.tokensIn ?? 0) + (meter.usage.tokensOut ?? 0)).toBe(20_000_000);
    expect(meter.usage.costUsd ?? 0).toBeGreaterThan(1); // red: undefined, charged $0
    expect(meter.breach).toBeDefined(); // red: a $1 budget.usd is never enforced mid-run
  });

  // A user loses: Codex prints no cost at all (agent/engine-formats: "Codex reports no cost"), so every Codex run is
  // charged $0 to the product budget and no `budget.usd` ever stops one (SPEC §6: `budget.usd` enforced by the agent
  // and checked by the coordinator). A product running Codex has, in effect, no budget.
  it("a Codex run reports tokens only: charged $0, its budget.usd never enforced", () => {
    const meter = new UsageMeter({ usd: 1 }, undefined, () => 0);
    meter.line(codexTurn(15_000_000, 5_000_000));
    expect(meter.usage.tokensIn).toBe(15_000_000);
    expect(meter.usage.costUsd ?? 0).toBeGreaterThan(1); // red: undefined
    expect(meter.breach).toBeDefined(); // red
  });
});
