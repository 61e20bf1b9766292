// `claude -p --output-format json --verbose` prints the whole session as ONE line: a JSON array of every message, its
// `result` last (agent/engine-formats). A session of any size — a few file reads and test runs — is longer than the
// line splitter holds (MAX_PENDING_CHARS), so the line reached the meter in pieces; the cut-line reader looked only
// for a cut line that IS a result (`{"type":"result"…`), not for an array that ends with one, and the run's cost and
// tokens were lost: budget.usd unenforced, the spend never charged. Now a cut array line is read the same way.
import { describe, expect, it } from "vitest";
import { UsageMeter } from "../../src/agent/insights.ts";
import { MAX_PENDING_CHARS } from "../../src/agent/log-batcher.ts";
import { feedThroughSplitter, usage } from "./agent-meter-feed.ts";

const toolOutput = (n: number) => ({
  type: "user",
  message: { role: "user", content: [{ type: "tool_result", tool_use_id: `t${n}`, content: "z".repeat(400_000) }] },
});

describe("a `json --verbose` session line past the splitter's hold", () => {
  it("still gives the run's cost and tokens from its result, and breaches budget.usd with them", () => {
    const line = JSON.stringify([
      { type: "system", subtype: "init", session_id: "s" },
      ...[1, 2, 3, 4, 5, 6].map(toolOutput),
      {
        type: "result",
        subtype: "success",
        is_error: false,
        result: "done",
        total_cost_usd: 3.5,
        usage,
        modelUsage: {},
      },
    ]);
    expect(line.length).toBeGreaterThan(2 * MAX_PENDING_CHARS);
    const meter = new UsageMeter({ usd: 1 });
    expect(feedThroughSplitter(meter, line)).toMatch(/spent \$3\.50?, budget is \$1/);
    expect(meter.usage).toMatchObject({ costUsd: 3.5, tokensIn: 175, tokensOut: 10 });
  });

  it("a short one still parses whole", () => {
    const line = JSON.stringify([{ type: "system" }, { type: "result", total_cost_usd: 0.25, usage }]);
    const meter = new UsageMeter({});
    feedThroughSplitter(meter, line);
    expect(meter.usage).toMatchObject({ costUsd: 0.25, tokensIn: 175, tokensOut: 10 });
  });
});
