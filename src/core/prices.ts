/**
 * @module core/prices
 * The operator's price table for tokens no USD came for (core/unpriced), as pure rules: its shape and bounds (the
 * `prices` key of the product's settings), a PATCH merged into it, and what a run's unpriced tokens cost at it.
 * Why: Codex reports tokens only, and Claude Code's USD comes only with its final `result` line, so such a run was
 * charged $0 and no USD budget stopped it. With a price set for its engine, its unpriced tokens are charged as an
 * ESTIMATE until the engine's own USD replaces it (core/price-estimate); with none, they stay unpriced, as before.
 * Keys are the engine keys jobs and breakers use: an engine name, or `*` (core/breaker DEFAULT_ENGINE) for runs of a
 * job that names no engine — the factory's default one. `*` prices only those runs: it is no fallback for a named
 * engine without a price (that engine's tokens stay unpriced: a made-up price is the thing this table must not be).
 * Money in USD per million tokens; estimates in USD to the micro-dollar (core/budget `toMicros`).
 */
import { z } from "zod";
import { DEFAULT_ENGINE } from "./breaker.ts";
import { fromMicros } from "./budget.ts";

/** One engine's price, USD per million tokens, read (`usdPerMillionIn`) and written (`usdPerMillionOut`). */
export interface TokenPrice {
  usdPerMillionIn: number;
  usdPerMillionOut: number;
}

/** The price table: engine key → its price. No entry: that engine's tokens stay unpriced. */
export type PriceTable = Record<string, TokenPrice>;

/**
 * $10,000 per million tokens: over fifty times the dearest model's list price today, so no real price is refused,
 * while a typo of a few orders of magnitude (1e9) is — and a million million tokens at it stays a finite sum.
 */
export const MAX_USD_PER_MILLION = 10_000;
/**
 * 64 engines: a fleet runs a handful; the bound keeps the settings record (read on every dispatch pass) small —
 * each PATCH body is bounded by the worker's one JSON limit (worker/validate MAX_JSON_BYTES), but merged PATCHes
 * could otherwise grow the table without end.
 */
export const MAX_PRICED_ENGINES = 64;

/** The relative rounding error of `estimateUsd`'s two products and their sum: 16 units in the last place. */
const FLOAT_NOISE = 16 * Number.EPSILON;

/** An engine key: an engine name as a manifest writes one (core/manifest-schema), or `*`, the default engine. */
const EngineKey = z.string().regex(/^(?:\*|[a-z0-9][a-z0-9._-]{0,31})$/, {
  error: "must be an engine name like codex, or * (the default engine)",
});
const Rate = z.number().finite().min(0).max(MAX_USD_PER_MILLION);

/**
 * What `PATCH …/settings` takes under `prices`: per engine key, the rates to set (either or both: merged over the
 * engine's price) or null to remove its price. A new engine needs both rates (`applyPricesPatch`).
 */
export const PricesPatchSchema = z.preprocess(
  (raw, ctx) => {
    // zod's record drops an own `__proto__` key before its key schema sees it: the price was answered 200 and
    // silently not set — refused here as the engine name it is not.
    if (raw !== null && typeof raw === "object" && Object.hasOwn(raw, "__proto__")) {
      ctx.issues.push({ code: "custom", message: "__proto__ is no engine name", input: raw, path: ["__proto__"] });
    }
    return raw;
  },
  z
    .record(EngineKey, z.object({ usdPerMillionIn: Rate, usdPerMillionOut: Rate }).partial().strict().nullable())
    .refine((r) => Object.keys(r).length <= MAX_PRICED_ENGINES, {
      error: `at most ${MAX_PRICED_ENGINES} engines may be priced`,
    }),
);
export type PricesPatch = z.infer<typeof PricesPatchSchema>;

/**
 * The table after `patch`; pure, inputs untouched. Each entry's rates merge over the engine's price; null removes it.
 * @throws RangeError — an engine gets only one of its two rates (a price with its other side missing would be read
 *   as $0 for those tokens), or the table would price more than MAX_PRICED_ENGINES engines (the route: a 400)
 */
export function applyPricesPatch(current: PriceTable, patch: PricesPatch | undefined): PriceTable {
  if (!patch) return current;
  const next: PriceTable = { ...current };
  for (const [engine, change] of Object.entries(patch)) {
    if (change === null) {
      delete next[engine];
      continue;
    }
    const merged = { ...(Object.hasOwn(next, engine) ? next[engine] : undefined), ...change }; // `constructor` too
    if (merged.usdPerMillionIn === undefined || merged.usdPerMillionOut === undefined) {
      const missing = merged.usdPerMillionIn === undefined ? "usdPerMillionIn" : "usdPerMillionOut";
      throw new RangeError(`prices.${engine} has no ${missing}: a new engine's price needs both rates`);
    }
    next[engine] = { usdPerMillionIn: merged.usdPerMillionIn, usdPerMillionOut: merged.usdPerMillionOut };
  }
  if (Object.keys(next).length > MAX_PRICED_ENGINES) {
    throw new RangeError(`prices would hold ${Object.keys(next).length} engines: at most ${MAX_PRICED_ENGINES}`);
  }
  return next;
}

/** The price of a run of a job asking `engine` (undefined: its factory's default, `*`), or undefined when none. */
export function priceOf(table: PriceTable | undefined, engine: string | undefined): TokenPrice | undefined {
  const key = engine ?? DEFAULT_ENGINE;
  return table && Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * What `unpriced` tokens cost at `price`, USD to the micro-dollar (rounded up: an estimate that holds a budget errs
 * high). The unpriced figure keeps no split of read and written tokens (core/unpriced), so the report's own split
 * bounds it: as many as the report may have of the dearer kind are charged at the dearer rate, the rest at the other.
 * A resumed run's `baseTokens` — its earlier engines' tokens, in + out as one sum within `tokensIn` when the
 * coordinator knew no split (agent/run-usage `runUsage`; with `runSpent.tokensOut` they are folded by side and none
 * are said) — may be of either kind, so they count on the dearer side whichever it is: read as read, the earlier
 * engine's written tokens were re-priced low and the run's high-water mark left the next spend uncharged.
 * When every token of the report is unpriced (a Codex run, a Claude run before its `result`) and none is such a base,
 * that is the exact split; otherwise it is the most any split the report allows could cost, never less, and never
 * more than all of them at the dearer rate.
 * @param unpriced tokens (in + out) no USD came for, ≥ 0
 * @param report the report's cumulative `tokensIn` and `tokensOut`, and `baseTokens` ≤ `tokensIn` (absent: 0 — an
 *   older agent's report reads as before)
 * @returns USD ≥ 0, a whole number of micro-dollars; 0 when `unpriced` is 0
 */
export function estimateUsd(
  unpriced: number,
  report: { tokensIn?: number; tokensOut?: number; baseTokens?: number },
  price: TokenPrice,
): number {
  if (unpriced <= 0) return 0;
  const outDearer = price.usdPerMillionOut >= price.usdPerMillionIn;
  const dearerRate = outDearer ? price.usdPerMillionOut : price.usdPerMillionIn;
  const otherRate = outDearer ? price.usdPerMillionIn : price.usdPerMillionOut;
  const tokensIn = Math.max(0, report.tokensIn ?? 0);
  // The base is within tokensIn (the wire refuses more): on the read side already when read is dearer.
  const base = Math.min(Math.max(0, report.baseTokens ?? 0), tokensIn);
  const dearerSide = outDearer ? Math.max(0, report.tokensOut ?? 0) + base : tokensIn;
  const dearer = Math.min(unpriced, dearerSide);
  // USD per million × tokens = micro-dollars: exact integers for any whole token count under the bounds.
  const micros = dearer * dearerRate + (unpriced - dearer) * otherRate;
  // Up to whole micro-dollars, less the products' float noise (0.1 × 30 is 3.0000000000000004, not over 3): a few
  // units in the last place (2⁻⁵² relative each), far below a micro-dollar for any sum under the bounds.
  return fromMicros(Math.ceil(micros - micros * FLOAT_NOISE));
}
