// The price table (settings `prices`, core/prices) and the estimate it charges (core/price-estimate) in the CLI and
// the dashboard: `settings set prices.codex.usdPerMillionIn=1.25` reaches the nested key (an engine name with dots
// too; `prices.codex=null` removes it; a key set twice is a usage error); `settings` prints the table, or that none
// is set; `gigafactory budget` over a real local socket prints the estimated part of the spend under it and says the
// unpriced tokens are in the spend only as that estimate, `--json` carrying `estimatedUsd`; the dashboard's budget
// lines say the CLI's words.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { estimatedText, unpricedText } from "../../dashboard/budget-unpriced.js";
import { parseAssignments } from "../../src/cli/commands/settings.ts";
import { formatSettings } from "../../src/cli/settings-text.ts";
import { estimatedWords } from "../../src/core/price-estimate.ts";
import { DEFAULT_SETTINGS } from "../../src/core/settings.ts";
import { unpricedWords } from "../../src/core/unpriced.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const START = Date.UTC(2026, 11, 1);

describe("settings set prices.<engine>.<rate>", () => {
  it("builds the nested patch, an engine name with dots included, and removes with null", () => {
    expect(parseAssignments(["prices.codex.usdPerMillionIn=1.25", "prices.codex.usdPerMillionOut=10"])).toEqual({
      prices: { codex: { usdPerMillionIn: 1.25, usdPerMillionOut: 10 } },
    });
    expect(parseAssignments(["prices.gpt-4.1.usdPerMillionIn=2", "preemption=true"])).toEqual({
      prices: { "gpt-4.1": { usdPerMillionIn: 2 } },
      preemption: true,
    });
    expect(parseAssignments(["prices.codex=null", "prices.*.usdPerMillionOut=3"])).toEqual({
      prices: { codex: null, "*": { usdPerMillionOut: 3 } },
    });
    // The last dotted part is a rate only when it names one: `gpt-4.1=null` removes engine gpt-4.1 (red before: engine
    // gpt-4, rate "1" — a 400).
    expect(parseAssignments(["prices.gpt-4.1=null"])).toEqual({ prices: { "gpt-4.1": null } });
    expect(parseAssignments(["prices.o4.mini.v2=null", "prices.codex.usdPerMillionOut=3"])).toEqual({
      prices: { "o4.mini.v2": null, codex: { usdPerMillionOut: 3 } },
    });
  });

  it("refuses a rate set twice, or an engine both removed and priced, and three dots outside prices", () => {
    expect(() => parseAssignments(["prices.codex.usdPerMillionIn=1", "prices.codex.usdPerMillionIn=2"])).toThrow(
      /set twice/,
    );
    expect(() => parseAssignments(["prices.codex.usdPerMillionIn=1", "prices.codex=null"])).toThrow(/set twice/);
    expect(() => parseAssignments(["weights.load.x=1"])).toThrow(/not a settings key/);
    expect(() => parseAssignments(["prices..usdPerMillionIn=1"])).toThrow(/not a settings key/);
  });

  it("settings prints the table, or that no tokens are priced", () => {
    expect(formatSettings({ ...DEFAULT_SETTINGS })).toMatch(/^prices\s+— \(tokens with no USD are not charged\)$/m);
    const priced = { ...DEFAULT_SETTINGS, prices: { codex: { usdPerMillionIn: 1.25, usdPerMillionOut: 10 } } };
    expect(formatSettings(priced)).toMatch(
      /^prices\s+codex in \$1\.25 · out \$10 per million tokens \(charged as an estimate until the engine reports USD\)$/m,
    );
  });
});

const view = (extra: Record<string, unknown>) => ({
  period: "day",
  ceilingUsd: 25,
  spentUsd: 2.5,
  state: "ok",
  periodStart: START,
  periodEnd: START + 86_400_000,
  onExhausted: "pause",
  warnAtUsd: 20,
  exhausted: false,
  burndown: [{ at: START, spentUsd: 0 }],
  ...extra,
});

async function budgetOf(extra: Record<string, unknown>, ...flags: string[]) {
  const { url } = await stubCoordinator((req, reply) => {
    if (req.method === "GET" && req.url === "/api/v1/products/shop/budget") return reply.json(200, view(extra));
    return reply.problem(404, { title: "not_found", detail: "no such route", code: "not_found" });
  });
  return captureCli(["budget", ...flags, ...connection(url, "shop")], { now: START + 3_600_000 });
}

describe("gigafactory budget: the estimated part", () => {
  it("prints the estimate under the spend, and the unpriced tokens as in it only as that estimate", async () => {
    const r = await budgetOf({ estimatedUsd: 1.5, unpricedTokens: 500_000 });
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    const spent = lines.findIndex((l) => l.trim().startsWith("spent"));
    expect(lines[spent + 1]).toMatch(
      /^\s*estimated\s+\$1\.50 of the spend \(unpriced tokens at settings prices, until the engine reports USD\)$/,
    );
    expect(lines[spent + 2]).toMatch(/^\s*unpriced\s+500,000 tokens \(engine reported no USD — counted against the/);
    const json = await budgetOf({ estimatedUsd: 1.5 }, "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ spentUsd: 2.5, estimatedUsd: 1.5 });
  });

  it("says nothing of an estimate at 0, nor from an older coordinator without the field", async () => {
    for (const extra of [{ estimatedUsd: 0, unpricedTokens: 5 }, { unpricedTokens: 5 }]) {
      const r = await budgetOf(extra);
      expect(r.stdout).not.toMatch(/estimated/);
      expect(r.stdout).toMatch(/not counted against the ceiling/);
    }
  });

  it("the dashboard says the CLI's words", () => {
    expect(estimatedText({ estimatedUsd: 1.5 }, () => "$1.50")).toBe(`Estimated: ${estimatedWords("$1.50")}`);
    expect(estimatedText({}, () => "$0")).toBe("");
    expect(unpricedText({ unpricedTokens: 7, estimatedUsd: 1 })).toBe(`Unpriced: ${unpricedWords(7, true)}`);
  });
});
