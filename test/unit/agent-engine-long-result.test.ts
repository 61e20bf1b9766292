// A Claude result line longer than the line splitter holds (agent/log-batcher MAX_PENDING_CHARS: 1 Mi UTF-16 units —
// a job that asks for a huge final answer) still reports the run's spend: the splitter hands it on in pieces, none of
// which parses as JSON, and the cost and tokens were lost — the run's budget.usd unenforced and its spend uncharged.
// The totals are read from the piece that ends the line; text inside the answer cannot pose as them.
import { describe, expect, it } from "vitest";
import { UsageMeter } from "../../src/agent/insights.ts";
import { MAX_PENDING_CHARS } from "../../src/agent/log-batcher.ts";
import { feedThroughSplitter, usage } from "./agent-meter-feed.ts";

describe("a Claude result line past the splitter's hold", () => {
  it("still gives the run's cost and tokens, and breaches budget.usd with them", () => {
    // The answer quotes what the totals look like: escaped in the JSON line, it is no structural key.
    const answer = `${"x".repeat(MAX_PENDING_CHARS + 10)} ,"total_cost_usd":0,"usage":{} ${"y".repeat(MAX_PENDING_CHARS)}`;
    const line = JSON.stringify({
      type: "result",
      subtype: "success",
      is_error: false,
      result: answer,
      session_id: "s",
      total_cost_usd: 3.5,
      usage,
      modelUsage: {},
    });
    expect(line.length).toBeGreaterThan(2 * MAX_PENDING_CHARS);
    const meter = new UsageMeter({ usd: 1 });
    expect(feedThroughSplitter(meter, line)).toMatch(/spent \$3\.50?, budget is \$1/);
    expect(meter.usage).toEqual({ tokensIn: 175, tokensOut: 10, costUsd: 3.5 });
  });

  it("is not fooled by an over-long line that is not a result", () => {
    const meter = new UsageMeter({});
    const line = JSON.stringify({ type: "user", message: { content: `${"z".repeat(MAX_PENDING_CHARS)}` } });
    feedThroughSplitter(meter, `${line.slice(0, -1)},"total_cost_usd":9,"usage":{"input_tokens":1}}`);
    expect(meter.usage).toEqual({});
  });
});
