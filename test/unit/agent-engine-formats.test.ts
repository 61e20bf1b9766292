// What the real engines print reaches the run's usage and rate limit (agent/engine-formats through the UsageMeter):
// Claude Code's stream-json/json result and Codex's exec --json running totals are each counted once (never summed per
// message or per turn, cache tokens as each provider documents them), bad numbers are dropped or capped, a job's
// budget.usd/tokens is breached by them, and only a terminal, throttled failure is a rate limit — a diff, a test log
// or a recovered retry that says "429" or "rate limit" is not.
import { describe, expect, it } from "vitest";
import { splitCommand } from "../../src/agent/command-template.ts";
import { parseEngineLine } from "../../src/agent/engine-formats.ts";
import { DEFAULT_ENGINES } from "../../src/agent/engines.ts";
import { UsageMeter } from "../../src/agent/insights.ts";
import { retryAfterText } from "../../src/agent/retry-after.ts";
import {
  CLAUDE_MAX_TURNS,
  CLAUDE_OVERLOADED,
  CLAUDE_RATE_LIMITED,
  CLAUDE_STREAM,
  CODEX_JSONL,
  CODEX_OTHER_FAILURE,
  CODEX_RATE_LIMITED,
} from "./engine-output-samples.ts";

const feed = (meter: UsageMeter, lines: string[]) => lines.map((l) => meter.line(l)).find((b) => b !== undefined);

describe("Claude Code stream-json", () => {
  it("counts the session once, from the result: not the per-call usage repeated per content block", () => {
    const meter = new UsageMeter({});
    feed(meter, CLAUDE_STREAM);
    // 6 + 4 000 cache writes + 20 000 cache reads: the Messages API counts them apart from input_tokens.
    expect(meter.usage).toEqual({ tokensIn: 24_006, tokensOut: 240, costUsd: 0.123456 });
    expect(meter.rateLimitedFor).toBeUndefined();
  });

  it("reads `json --verbose` (one array of every message) by its result element", () => {
    const arr = `[${CLAUDE_STREAM.join(",")}]`;
    expect(parseEngineLine(arr)?.usage).toEqual({ tokensIn: 24_006, tokensOut: 240, costUsd: 0.123456 });
  });

  it("breaches budget.usd and budget.tokens with the result's totals", () => {
    expect(feed(new UsageMeter({ usd: 0.1 }), CLAUDE_STREAM)).toContain("spent $0.12");
    expect(feed(new UsageMeter({ tokens: 24_245 }), CLAUDE_STREAM)).toBe("used 24246 tokens, budget is 24245");
    expect(feed(new UsageMeter({ usd: 0.2, tokens: 24_246 }), CLAUDE_STREAM)).toBeUndefined();
    // Dollars compared in micro-dollars, as the coordinator does: a float sum at the budget is not over it.
    const atBudget = JSON.stringify({ type: "result", is_error: false, total_cost_usd: 0.1 + 0.2 });
    expect(new UsageMeter({ usd: 0.3 }).line(atBudget)).toBeUndefined();
    expect(new UsageMeter({ usd: 0.3 }).line(atBudget.replace("0.30000000000000004", "0.300001"))).toContain("spent");
  });

  it("is rate limited by a 429 or 529 API error result, not by max turns", () => {
    const limited = new UsageMeter({});
    limited.line(CLAUDE_RATE_LIMITED);
    expect(limited.rateLimitedFor).toBe(0);
    expect(limited.usage).toEqual({ tokensIn: 10, tokensOut: 0, costUsd: 0.01 });
    const overloaded = new UsageMeter({});
    overloaded.line(CLAUDE_OVERLOADED);
    expect(overloaded.rateLimitedFor).toBe(0);
    const status = JSON.stringify({
      type: "result",
      subtype: "error_during_execution",
      is_error: true,
      api_error_status: 529,
    });
    expect(parseEngineLine(status)?.rateLimitedFor).toBe(0);
    for (const text of ["Claude AI usage limit reached|1753088400", "5-hour limit reached ∙ resets 3pm"]) {
      const plan = JSON.stringify({ type: "result", subtype: "success", is_error: true, result: text });
      expect(parseEngineLine(plan)?.rateLimitedFor).toBe(0);
    }
    const auth = JSON.stringify({ type: "result", is_error: true, api_error_status: 401, result: "Invalid API key" });
    expect(parseEngineLine(auth)?.rateLimitedFor).toBeUndefined();
    const turns = new UsageMeter({});
    turns.line(CLAUDE_MAX_TURNS);
    expect(turns.rateLimitedFor).toBeUndefined();
    expect(turns.usage.costUsd).toBe(0.5);
  });
});

describe("Claude Code before its result", () => {
  const assistant = (id: string, usage: Record<string, number>) =>
    JSON.stringify({ type: "assistant", message: { id, role: "assistant", content: [], usage } });

  it("tallies each API call once (its blocks repeat its usage, the last wins) so budget.tokens stops a run midway", () => {
    const meter = new UsageMeter({ tokens: 20_000 });
    expect(feed(meter, CLAUDE_STREAM.slice(0, 4))).toBeUndefined();
    expect(meter.usage).toEqual({ tokensIn: 12_003, tokensOut: 120, unpricedTokens: 12_123 }); // msg_1 once, though printed twice
    meter.line(assistant("msg_1", { input_tokens: 3, cache_read_input_tokens: 12_000, output_tokens: 400 }));
    expect(meter.usage).toEqual({ tokensIn: 12_003, tokensOut: 400, unpricedTokens: 12_403 }); // no USD yet
    expect(meter.line(assistant("msg_2", { input_tokens: 1, cache_read_input_tokens: 8_000, output_tokens: 5 }))).toBe(
      "used 20409 tokens, budget is 20000",
    );
  });

  it("lets the result's totals replace the tally, and never the other way round", () => {
    const meter = new UsageMeter({});
    feed(meter, CLAUDE_STREAM);
    meter.line(assistant("msg_9", { input_tokens: 1e6, output_tokens: 1e6 }));
    expect(meter.usage).toEqual({ tokensIn: 24_006, tokensOut: 240, costUsd: 0.123456 });
  });

  it("takes modelUsage summed over models (the background model's calls too) over usage", () => {
    const line = JSON.stringify({
      type: "result",
      is_error: false,
      total_cost_usd: 0.2,
      usage: { input_tokens: 10, output_tokens: 10 },
      modelUsage: {
        "claude-sonnet-4-5": { inputTokens: 10, outputTokens: 10, cacheReadInputTokens: 500, costUSD: 0.19 },
        "claude-haiku-4-5": { inputTokens: 300, outputTokens: 20, cacheCreationInputTokens: 0, costUSD: 0.01 },
      },
    });
    expect(parseEngineLine(line)?.usage).toEqual({ tokensIn: 810, tokensOut: 30, costUsd: 0.2 });
  });
});

describe("Codex exec --json", () => {
  it("takes each turn.completed as the running total (replaced, not summed); cached input is part of input", () => {
    const meter = new UsageMeter({});
    feed(meter, CODEX_JSONL);
    expect(meter.usage).toEqual({ tokensIn: 50_000, tokensOut: 300, unpricedTokens: 50_300 }); // no cost
    expect(feed(new UsageMeter({ tokens: 50_299 }), CODEX_JSONL)).toBe("used 50300 tokens, budget is 50299");
  });

  it("a recovered retry's error event and a test log saying 429 are not a rate limit; a throttled turn.failed is", () => {
    const meter = new UsageMeter({});
    feed(meter, CODEX_JSONL);
    expect(meter.rateLimitedFor).toBeUndefined();
    meter.line(CODEX_RATE_LIMITED);
    expect(meter.rateLimitedFor).toBe(90);
    const other = new UsageMeter({});
    other.line(CODEX_OTHER_FAILURE);
    expect(other.rateLimitedFor).toBeUndefined();
  });
});

describe("numbers and noise", () => {
  const result = (usage: unknown, cost: unknown) =>
    JSON.stringify({ type: "result", is_error: false, total_cost_usd: cost, usage });

  it("drops NaN, negative, string and missing values, and caps huge ones", () => {
    expect(parseEngineLine(result({ input_tokens: -5, output_tokens: "7" }, -1))).toEqual({});
    expect(parseEngineLine(result(undefined, 0.5))?.usage).toEqual({ costUsd: 0.5 });
    expect(parseEngineLine('{"type":"result","total_cost_usd":NaN}')).toBeUndefined(); // not JSON at all
    const huge = parseEngineLine(
      result({ input_tokens: 1e300, cache_read_input_tokens: 1e300, output_tokens: 1e13 }, 1e300),
    )?.usage;
    expect(huge).toEqual({ tokensIn: 1e12, tokensOut: 1e12, costUsd: 1e6 });
  });

  it("ignores other JSON, nested look-alikes, broken and partial lines", () => {
    expect(parseEngineLine('{"type":"assistant","message":{"type":"result","total_cost_usd":9}}')).toBeUndefined();
    expect(parseEngineLine(CLAUDE_STREAM.at(-1)?.slice(0, 80) ?? "")).toBeUndefined();
    expect(parseEngineLine('+  {"type":"result","total_cost_usd":9}')).toBeUndefined(); // a diff line
    expect(parseEngineLine(`\u001b[32m${CODEX_RATE_LIMITED}`)).toBeUndefined(); // an ANSI-coloured echo
  });

  it("reads a retry-after from the wording, in any unit", () => {
    expect(retryAfterText("please try again in 20s")).toBe(20);
    expect(retryAfterText("Try again in 2 hours 5 minutes.")).toBe(7500);
    expect(retryAfterText("retry after 500ms")).toBe(1);
    expect(retryAfterText("try again later")).toBeUndefined();
    expect(retryAfterText("try again in 99999 hours")).toBe(86_400);
    expect(retryAfterText("Upgrade to Pro or try again in 1 day 2 hours.")).toBe(86_400); // capped at a day
    expect(retryAfterText("You've hit your usage limit. ... or try again in 6 hours 57 minutes.")).toBe(25_020);
    expect(retryAfterText("You've hit your usage limit. ... or try again at 3:28 PM.")).toBeUndefined();
  });
});

describe("the default engines", () => {
  it("run claude and codex in the machine formats this reads (plain text would report no spend at all)", () => {
    expect(splitCommand(DEFAULT_ENGINES.claude as string)).toEqual([
      "claude",
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
    ]);
    expect(splitCommand(DEFAULT_ENGINES.codex as string)).toEqual(["codex", "exec", "--json"]);
  });
});
