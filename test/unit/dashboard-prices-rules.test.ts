// The settings page's prices editor checks an engine name and a rate as the API does (dashboard/prices-rules.js
// against core/prices PricesPatchSchema): every name and rate the page lets through the API takes, and every one it
// refuses the API refuses too (`__proto__` included), so its refusals before sending are the server's own bounds.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { engineProblem, MAX_USD_PER_MILLION, parseRate, priceRows, priceText } from "../../dashboard/prices-rules.js";
import { MAX_USD_PER_MILLION as CORE_MAX, PricesPatchSchema } from "../../src/core/prices.ts";

const NAMES = [
  "codex",
  "*",
  "gpt-4.1",
  "claude_code",
  "a",
  "9lives",
  "x".repeat(32),
  "x".repeat(33),
  "",
  "__proto__",
  "constructor",
  "Codex",
  "-codex",
  ".codex",
  "co dex",
  "**",
  "codex!",
  "é",
];

const RATES = [
  "0",
  "1.25",
  "10000",
  "10000.01",
  "-1",
  "-0",
  "1e3",
  "1e9",
  "",
  " ",
  "abc",
  "Infinity",
  "NaN",
  "0.000001",
];

describe("the prices editor's checks agree with the API's schema", () => {
  it("takes exactly the engine names the API takes", () => {
    for (const name of NAMES) {
      const api = PricesPatchSchema.safeParse(JSON.parse(`{${JSON.stringify(name)}: null}`)).success;
      expect({ name, page: engineProblem(name) === "" }).toEqual({ name, page: api });
    }
    expect(engineProblem("__proto__")).toBe("Engine: __proto__ is no engine name.");
  });

  it("takes exactly the rates the API takes, with its bound", () => {
    expect(MAX_USD_PER_MILLION).toBe(CORE_MAX);
    for (const text of RATES) {
      const parsed = parseRate(text, "codex: USD per million read");
      const rate = Number(text);
      const api = text.trim() !== "" && PricesPatchSchema.safeParse({ codex: { usdPerMillionIn: rate } }).success;
      expect({ text, page: parsed.ok }).toEqual({ text, page: api });
    }
    expect(parseRate("-1", "codex: USD per million read")).toEqual({
      ok: false,
      why: "codex: USD per million read: enter USD per million tokens from 0 to 10,000.",
    });
  });

  it("lists a table's engines in order and words a price in the dashboard's USD", () => {
    expect(
      priceRows({
        codex: { usdPerMillionIn: 1, usdPerMillionOut: 2 },
        "*": { usdPerMillionIn: 0, usdPerMillionOut: 0 },
      }).map(([e]: [string]) => e),
    ).toEqual(["*", "codex"]);
    expect(priceRows(undefined)).toEqual([]);
    expect(priceText({ usdPerMillionIn: 1.25, usdPerMillionOut: 10 })).toBe(
      "$1.25 read, $10.00 written per million tokens",
    );
    expect(priceText({ usdPerMillionIn: 0.075, usdPerMillionOut: 0.6 })).toBe(
      "$0.075 read, $0.60 written per million tokens",
    );
  });
});
