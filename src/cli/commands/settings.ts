/**
 * @module cli/commands/settings
 * `gigafactory settings [get]` shows the product's settings (preemption, lease TTL, aging horizon, retry backoff,
 * router weights, frozen serial keys, budget pause, overflow, breaker, error budget, health, learned routing: every
 * top-level key, as --json has them); `gigafactory settings set KEY=VALUE…` changes some of them
 * (operator), e.g. `preemption=true weights.load=2 retry.baseSeconds=10 leaseTtlSeconds=120`: a dotted key reaches
 * into `weights` or `retry`, and `prices.codex.usdPerMillionIn=1.25` into the price table (core/prices), a value is read as JSON when it parses (numbers, true/false), as a number when it is one
 * spelt otherwise (`.5`, `+2`), and as text otherwise. The
 * coordinator validates the patch (core/settings): an unknown key or a value out of range is its 400, reported as
 * `✘ ERROR validation_failed: … / fix the value named above` — what the key takes, or the key probably meant, where
 * cli/settings-refusal can tell.
 */
import type { ProductSettings } from "../../core/settings.ts";
import type { SettingsAnswer } from "../../shared/http-client.ts";
import type { Command, Ctx } from "../context.ts";
import { echoed } from "../echoed-input.ts";
import { usageError } from "../errors.ts";
import { checkPriceValue, RATES } from "../price-refusal.ts";
import { checked } from "../read-answers.ts";
import { checkedWrite, SettingsRead } from "../read-answers-policy.ts";
import { settingsError, validationOf } from "../settings-refusal.ts";
import { formatSettings } from "../settings-text.ts";

export { formatSettings };

/** A JSON object built from `KEY=VALUE` words; the server's schema is the judge of keys and values. */
type Patch = Record<string, unknown>;

/**
 * `["a=1", "w.load=2"]` → `{a: 1, w: {load: 2}}`. At most one dot (settings nest one level), but for a price:
 * `prices.codex.usdPerMillionIn=1.25` → `{prices: {codex: {usdPerMillionIn: 1.25}}}` (`prices.codex=null` removes it).
 * @throws CliError usage — a word without `=`, an empty key, a key with more than one dot outside `prices`, or a key set
 *   twice.
 */
export function parseAssignments(words: readonly string[]): Patch {
  const patch: Patch = {};
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq <= 0) throw usageError(`"${echoed(word)}" is not KEY=VALUE (e.g. leaseTtlSeconds=120)`, "settings set");
    const path = keyPath(word.slice(0, eq));
    const value = readValue(word.slice(0, eq), word.slice(eq + 1));
    checkPriceValue(word.slice(0, eq), path, value);
    const [head, leaf, rate] = path as [string, string | undefined, string | undefined];
    if (rate !== undefined) {
      setPrice(patch, leaf as string, rate, value);
      continue;
    }
    // Own keys only, and set as own properties: `constructor=1` was "set twice" (`in` sees Object.prototype), and
    // `__proto__.x=1` went through the prototype setter, sent `{}` and printed "✔ Nothing changed" — a typo passed.
    if (leaf === undefined) {
      if (Object.hasOwn(patch, head)) throw usageError(`${echoed(head)} is set twice`, "settings set");
      setOwn(patch, head, value);
      continue;
    }
    const inner = Object.hasOwn(patch, head) ? patch[head] : {};
    if (typeof inner !== "object" || inner === null || Array.isArray(inner) || Object.hasOwn(inner, leaf)) {
      throw usageError(`${echoed(`${head}.${leaf}`)} is set twice`, "settings set");
    }
    setOwn(patch, head, { ...inner, [leaf]: value });
  }
  return patch;
}

/**
 * A dotted key's parts: `preemption`, `weights.load`, or under `prices` the engine (`prices.<engine>`) and, when the
 * last part names a rate, the rate (`prices.<engine>.usdPerMillionIn`). An engine name may hold dots (`gpt-4.1`): the
 * last part is a rate only when it is one, so `prices.gpt-4.1=null` removes gpt-4.1 (it was engine gpt-4, rate "1").
 * @throws CliError usage — an empty part, or more than one dot outside `prices`
 */
function keyPath(key: string): string[] {
  const parts = key.split(".");
  if (parts[0] === "prices" && parts.length > 2 && !parts.includes("")) {
    const last = parts.at(-1) ?? "";
    if (RATES.has(last)) return ["prices", parts.slice(1, -1).join("."), last];
    return ["prices", parts.slice(1).join(".")];
  }
  if (parts.length > 2 || parts.some((p) => p === "")) {
    throw usageError(
      `"${echoed(key)}" is not a settings key (e.g. preemption, weights.load, prices.codex.usdPerMillionIn)`,
      "settings set",
    );
  }
  return parts;
}

/** `prices.<engine>.<rate>=value` into `patch.prices[engine][rate]`, each an own key. @throws CliError set twice */
function setPrice(patch: Patch, engine: string, rate: string, value: unknown): void {
  const prices = (Object.hasOwn(patch, "prices") ? patch.prices : {}) as Patch;
  if (typeof prices !== "object" || prices === null || Array.isArray(prices)) {
    throw usageError("prices is set twice", "settings set");
  }
  const inner = (Object.hasOwn(prices, engine) ? prices[engine] : {}) as Patch;
  if (typeof inner !== "object" || inner === null || Object.hasOwn(inner, rate)) {
    throw usageError(`${echoed(`prices.${engine}.${rate}`)} is set twice`, "settings set");
  }
  setOwn(prices, engine, { ...inner, [rate]: value });
  setOwn(patch, "prices", prices);
}

/** `target[key] = value` as an own, enumerable property whatever `key` is (`__proto__` included): JSON sends it. */
function setOwn(target: Patch, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A number as people write one and JSON does not (`.5`, `5.`, `+2`, `007`): read as that number, not as text. */
const LOOSE_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * JSON when it parses (`2`, `true`, `"x"`, `[…]`), a number when it is one in another spelling (LOOSE_NUMBER:
 * `retry.jitter=.5` was sent as the text ".5" and refused "expected number"), the raw text otherwise.
 * @throws CliError usage — a number too large to be finite anywhere in it (`1e400`): JSON.parse reads it as
 *   Infinity, which the request would carry as null, refused by the server as "expected number, received null"; or
 *   one so small it reads as 0 (`1e-400`)
 */
function readValue(key: string, raw: string): unknown {
  const shown = echoed(raw); // a 900-byte value filled the error line (cli/echoed-input)
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    if (!LOOSE_NUMBER.test(raw)) return raw;
    value = Number(raw);
  }
  if (hasNonFinite(value)) {
    const what = typeof value === "number" ? `${shown} is` : "it holds";
    throw usageError(
      `${echoed(key)}=${shown}: ${what} a number too large to be finite (at most about 1.8e308)`,
      "settings set",
    );
  }
  // The other end: `1e-400` reads as 0 and was sent, and stored, as 0 — a value nobody typed.
  if (value === 0 && /[1-9]/.test(raw.split(/e/i)[0] ?? "")) {
    throw usageError(
      `${echoed(key)}=${shown}: ${shown} is too small to be told from 0 (under about 5e-324): write 0`,
      "settings set",
    );
  }
  return value;
}

function hasNonFinite(v: unknown): boolean {
  if (typeof v === "number") return !Number.isFinite(v);
  if (typeof v === "object" && v !== null) return Object.values(v).some(hasNonFinite);
  return false;
}

/**
 * The product's settings, checked to be what `formatSettings` reads.
 * @throws CliError bad_response — the answer is not settings
 */
async function readSettings(ctx: Ctx): Promise<SettingsAnswer> {
  return checked(SettingsRead, await ctx.client().getSettings(), "the product's settings");
}

async function show(ctx: Ctx): Promise<number> {
  const settings = await readSettings(ctx);
  if (ctx.json) ctx.emit(settings);
  else ctx.print(formatSettings(settings));
  return 0;
}

export const settingsCommands: Command[] = [
  {
    path: ["settings"],
    args: { names: "", min: 0, max: 0 },
    summary: "show the product's settings (same as `settings get`)",
    options: {},
    run: show,
  },
  {
    path: ["settings", "get"],
    args: { names: "", min: 0, max: 0 },
    summary: "show the product's settings: preemption, lease TTL, aging, retry backoff, router weights",
    options: {},
    run: show,
  },
  {
    path: ["settings", "set"],
    args: { names: "KEY=VALUE…", min: 1, max: 100 },
    summary: "change settings (operator), e.g. preemption=true weights.load=2 retry.baseSeconds=10",
    // Each usage error of this command sends the reader here (pass 51: it said no more than the summary).
    details: [
      "A key is a setting (preemption) or one key of a group (weights.load, retry.baseSeconds, breaker.failureThreshold);",
      "`gigafactory settings get` shows them all with their values now. A value is read as JSON where it parses.",
      "Prices of tokens an engine reports no USD for (USD per million tokens, charged as an estimate):",
      "  prices.ENGINE.usdPerMillionIn=N prices.ENGINE.usdPerMillionOut=N  (both rates for an engine with none yet)",
      "  prices.ENGINE=null  removes its price; ENGINE '*' prices the jobs that name no engine (quote it)",
    ],
    options: {},
    async run(ctx) {
      const patch = parseAssignments(ctx.positionals);
      // Read and checked before the write: a PATCH sent after an answer that is not settings (another service on the
      // port) changed what nobody could show, then crashed comparing it as a CLI bug.
      const before = await readSettings(ctx);
      const sent = await ctx
        .client()
        .patchSettings(patch as never)
        // Only a refused value is told here; any other failure goes to cli/run as it came, which reads from it a 429
        // or 503's wait and a cut-off token's 401 (cli/failure-report) — told here first, they were lost.
        .catch((err: unknown) => Promise.reject(validationOf(err) ? settingsError(err, before, patch) : err));
      const after = checkedWrite(SettingsRead, sent, "the product's settings", "read `gigafactory settings get`");
      const changed = changedKeys(before, after);
      if (ctx.json) ctx.emit(after);
      else {
        ctx.print(changed.length ? `✔ Settings saved: ${changed.join(", ")} changed` : "✔ Nothing changed");
        ctx.print(formatSettings(after));
      }
      return 0;
    },
  },
];

/** Dotted keys whose values differ (one level of nesting, as the settings have). */
export function changedKeys(before: ProductSettings, after: ProductSettings): string[] {
  const flat = (s: ProductSettings): Map<string, string> => {
    const out = new Map<string, string>();
    for (const [k, v] of Object.entries(s)) {
      if (k === "aging") continue; // derived from the weights and horizon (core/aging), never a setting that changed
      if (v && typeof v === "object" && !Array.isArray(v)) {
        for (const [k2, v2] of Object.entries(v)) out.set(`${k}.${k2}`, JSON.stringify(v2));
      } else out.set(k, JSON.stringify(v));
    }
    return out;
  };
  const a = flat(before);
  const b = flat(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
}
