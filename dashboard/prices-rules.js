/**
 * @module dashboard/prices-rules
 * What the settings page's prices editor (prices.js) checks before it sends, and how it words a price: an engine key
 * and a rate as core/prices' PricesPatchSchema takes them (a page cannot import it; test/unit/dashboard-prices-rules
 * holds the two equal), so a typo is said at its box instead of costing a round trip — the server still decides.
 */
import { usdTexts } from "./usd.js";

/**
 * USD per million tokens a rate may be at most: core/prices MAX_USD_PER_MILLION (over fifty times the dearest list
 * price today; a typo of a few orders of magnitude is refused).
 */
export const MAX_USD_PER_MILLION = 10_000;

/** An engine key: an engine name as a manifest writes one, or `*` (the default engine) — core/prices EngineKey. */
const ENGINE_KEY = /^(?:\*|[a-z0-9][a-z0-9._-]{0,31})$/;

/**
 * Why `name` is no engine key the API takes, or "" when it is one.
 * @param {string} name as typed, trimmed by the caller
 * @returns {string} one sentence, or ""
 */
export function engineProblem(name) {
  if (name === "") return "Engine: enter an engine name like codex, or * for the default engine.";
  // The API refuses it by name (zod's record would drop it unseen): said as it says it.
  if (name === "__proto__") return "Engine: __proto__ is no engine name.";
  if (!ENGINE_KEY.test(name))
    return "Engine: a name of lower-case letters, digits, '.', '_' or '-' (at most 32, starting with a letter or digit), or *.";
  return "";
}

/**
 * A rate as typed, as the API takes one: a finite number of USD per million tokens from 0 to MAX_USD_PER_MILLION.
 * @param {string} text the box's value ("" for a number box holding no number)
 * @param {string} label what the refusal names, "codex: USD per million read"
 * @returns {{ ok: true, rate: number } | { ok: false, why: string }}
 */
export function parseRate(text, label) {
  const n = text.trim() === "" ? Number.NaN : Number(text);
  if (Number.isFinite(n) && n >= 0 && n <= MAX_USD_PER_MILLION) return { ok: true, rate: n };
  return {
    ok: false,
    why: `${label}: enter USD per million tokens from 0 to ${MAX_USD_PER_MILLION.toLocaleString("en-US")}.`,
  };
}

/** The engine as people read it: `*` is the default engine (runs of jobs that name none). @param {string} e */
export const engineName = (e) => (e === "*" ? "* (default engine)" : e);

/**
 * A price in words, its two rates side by side in the dashboard's one USD formatter (usd.js `usdTexts`: a rate of
 * $0.075 keeps its third digit): "$1.25 read, $10.00 written per million tokens". The boxes hold the exact rates.
 * @param {{ usdPerMillionIn: number, usdPerMillionOut: number }} p
 */
export function priceText(p) {
  const [read, written] = usdTexts([p.usdPerMillionIn, p.usdPerMillionOut]);
  return `${read} read, ${written} written per million tokens`;
}

/**
 * The table's engines, sorted (`*` first), each with its price; a missing table (an older coordinator) is empty.
 * @param {Record<string, { usdPerMillionIn: number, usdPerMillionOut: number }> | undefined} prices
 * @returns {Array<[string, { usdPerMillionIn: number, usdPerMillionOut: number }]>}
 */
export const priceRows = (prices) => Object.entries(prices ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** What a save's answer is about, for heldOutcome: the whole table, as one string. @param {any} prices */
export const pricesTerms = (prices) => JSON.stringify(priceRows(prices));
