/**
 * @module cli/settings-refusal
 * A `gigafactory settings set` patch the coordinator refused (400 validation_failed, in zod's words), as the
 * `✘ ERROR` line to print: what the key takes — true or false, a number, one of its choices (`overflow=hodl`: route or
 * hold), or, for a group of settings given a value (`breaker=5`), its keys — or the key probably meant for one it does
 * not know, instead of the generic "fix the value named above" a newcomer could not act on. Split out of
 * cli/commands/settings. Pure.
 */
import { type ProductSettings, SettingsPatchSchema } from "../core/settings.ts";
import { ApiError } from "../shared/http-client.ts";
import { nearestName } from "../shared/nearest-name.ts";
import { CliError, toCliError } from "./errors.ts";
import { foreignRefusal } from "./foreign-fix.ts";
import { priceFix } from "./price-refusal.ts";

/** A value outside a key's choices, in zod's words: `body.overflow: Invalid option: expected one of "route"|"hold"`. */
const NOT_A_CHOICE = /^body\.([\w.]+): Invalid option: expected one of ((?:"[^"]*"\|?)+)/;
/** A value given to a group of settings, in zod's words: `body.breaker: Invalid input: expected object, received number`. */
const NOT_A_GROUP = /^body\.(\w+): Invalid input: expected object, received \w+/;

/** The key's value now in `before` (the settings just read), if it has one. */
function valueNow(key: string, before: ProductSettings): unknown {
  return key
    .split(".")
    .reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), before);
}

/**
 * The fix for a value outside a key's choices (its choices, and the value now as the example) or given to a group of
 * settings (its keys, the first with its value now); undefined for any other refusal.
 */
function choiceOrGroupFix(message: string, before: ProductSettings): string | undefined {
  const choice = NOT_A_CHOICE.exec(message);
  if (choice) {
    const [, key = "", list = ""] = choice;
    const choices = [...list.matchAll(/"([^"]*)"/g)].map((m) => m[1] as string);
    const now = valueNow(key, before);
    const example = typeof now === "string" && choices.includes(now) ? now : choices[0];
    const words = choices.length === 2 ? choices.join(" or ") : `one of ${choices.join(", ")}`;
    return `\`${key}\` takes ${words}: write \`${key}=${example}\``;
  }
  const group = NOT_A_GROUP.exec(message);
  const inner = group ? valueNow(group[1] as string, before) : undefined;
  if (!group || typeof inner !== "object" || inner === null) return undefined;
  const key = group[1] as string;
  const keys = Object.keys(inner).map((k) => `${key}.${k}`);
  const [first] = Object.entries(inner);
  const example = first ? ` — e.g. \`${key}.${first[0]}=${JSON.stringify(first[1])}\`` : "";
  return `\`${key}\` is a group of settings: set one of its keys — ${keys.join(", ")}${example}`;
}

/** A value of the wrong type, in zod's words: `body.preemption: Invalid input: expected boolean, received string`. */
const WRONG_TYPE = /^body\.([\w.]+): Invalid input: expected (boolean|number), received \w+/;

/**
 * A value `key` takes, for the fix line: `true` for a boolean; for a number, the key's value now (`before`, valid by
 * definition) — a fixed `2` was itself refused for `retry.jitter` (at most 1) and `leaseTtlSeconds` (at least 5).
 */
function exampleFor(key: string, type: string, before: ProductSettings): string {
  if (type === "boolean") return "true";
  const now = key
    .split(".")
    .reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), before);
  return typeof now === "number" ? String(now) : "…";
}

/** A number out of its range, in zod's words: `body.breaker.failureThreshold: Too small: expected number to be >=1`. */
const OUT_OF_RANGE = /^body\.([^:]+): Too (?:small|big): expected number to be (>=|<=|>|<)\s*(-?[\d.e+]+)/;
const BOUND_WORDS: Readonly<Record<string, string>> = { ">=": "at least", "<=": "at most", ">": "over", "<": "under" };

/**
 * The fix for a number out of its key's range: the bound, and the key's value now as the example (valid by
 * definition), or a price's 1.25 for a rate not set yet; undefined for any other refusal. It said "fix the value
 * named above" (pass 51: `breaker.failureThreshold=0`).
 */
function rangeFix(message: string, before: ProductSettings): string | undefined {
  const m = OUT_OF_RANGE.exec(message);
  if (!m) return undefined;
  const [, key = "", op = "", bound = ""] = m;
  const now = key.startsWith("prices.") ? undefined : valueNow(key, before);
  const example = typeof now === "number" ? `\`${key}=${now}\` (its value now)` : `\`${key}=1.25\``;
  return `\`${key}\` takes a number of ${BOUND_WORDS[op] ?? op} ${bound}: write e.g. ${example}`;
}

/** The coordinator's refusal of a key it does not know, in zod's words: `body.weights: Unrecognized key: "lod"`. */
const UNRECOGNIZED = /^body(?:\.(\w+))?: Unrecognized keys?: "([^"]+)"/;

/** Whether `err` is the coordinator's own refusal of a patch's value (another server's JSON naming it is not). */
export const validationOf = (err: unknown): boolean =>
  err instanceof ApiError && err.code === "validation_failed" && !foreignRefusal(err);

/**
 * A refused patch as the CliError to print: for a value of the wrong type (`preemption=yes`), what the key takes;
 * for a key the settings do not have (`preemptoin=true`), a fix naming the key probably meant — among the keys a patch may set at the top level, or those of the object it reaches into, as
 * `before` (the settings just read) has them — instead of the generic "fix the value named above"; for a price
 * (cli/price-refusal), the command that sets it, read from `patch` (the patch sent).
 */
export function settingsError(
  err: unknown,
  before: ProductSettings,
  patch: Readonly<Record<string, unknown>> = {},
): CliError {
  const e = toCliError(err);
  const priced = e.code === "validation_failed" ? priceFix(e.message, patch) : undefined;
  if (priced) return new CliError(e.code, e.message, priced, e.exitCode);
  const ranged = e.code === "validation_failed" ? rangeFix(e.message, before) : undefined;
  if (ranged) return new CliError(e.code, e.message, ranged, e.exitCode);
  const shaped = e.code === "validation_failed" ? choiceOrGroupFix(e.message, before) : undefined;
  if (shaped) return new CliError(e.code, e.message, shaped, e.exitCode);
  const typed = e.code === "validation_failed" ? WRONG_TYPE.exec(e.message) : null;
  if (typed) {
    const [, key = "", type = ""] = typed;
    const how = type === "boolean" ? "true or false" : type === "number" ? "a number" : `a ${type}`;
    return new CliError(
      e.code,
      e.message,
      `\`${key}\` takes ${how}: write \`${key}=${exampleFor(key, type, before)}\``,
      e.exitCode,
    );
  }
  const m = e.code === "validation_failed" ? UNRECOGNIZED.exec(e.message) : null;
  if (!m) return e;
  const [, parent, key = ""] = m;
  const inner = parent ? (before as unknown as Record<string, unknown>)[parent] : undefined;
  const known = parent
    ? Object.keys(typeof inner === "object" && inner ? inner : {})
    : Object.keys(SettingsPatchSchema.shape);
  const meant = nearestName(key, known);
  const dotted = (k: string) => (parent ? `${parent}.${k}` : k);
  // Two rows `settings get` shows are state with commands of their own, not settings: naming `settings get` sent a
  // newcomer in a circle (pass 41).
  const own = parent ? undefined : OWN_COMMAND.get(key);
  const fix = own
    ? `\`${key}\` is set by its own command, not \`settings set\`: ${own}`
    : meant
      ? `did you mean \`${dotted(meant)}\`? (\`gigafactory settings get\` shows every setting)`
      : `\`${dotted(key)}\` is not a setting: \`gigafactory settings get\` shows every setting`;
  return new CliError(e.code, e.message, fix, e.exitCode);
}

/** The rows of `settings get` an operator changes with a command of their own (the API refuses them in a PATCH). */
const OWN_COMMAND = new Map([
  ["frozenSerialKeys", "`gigafactory serial freeze KEY --reason TEXT`, undone by `gigafactory serial unfreeze KEY`"],
  ["budgetPaused", "`gigafactory budget pause`, undone by `gigafactory budget resume`"],
]);
