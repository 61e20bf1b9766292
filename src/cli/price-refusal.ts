/**
 * @module cli/price-refusal
 * `gigafactory settings set prices.…` words that cannot be a price, and the coordinator's refusals of a price patch,
 * told as a fix a newcomer can type (pass 51). The issue's own first command, `prices.codex.usdPerMillionIn=1.25` on an
 * engine with no price yet, came back "fix the value named above", with nothing above to fix: a new engine needs both
 * rates in one PATCH (core/prices `applyPricesPatch`), so the fix is that command. A key with no rate
 * (`prices.codex.foo=1`) went out as the engine "codex.foo" and came back "expected object, received number". Pure.
 */
import type { TokenPrice } from "../core/prices.ts";
import { nearestName } from "../shared/nearest-name.ts";
import { echoed } from "./echoed-input.ts";
import { usageError } from "./errors.ts";

/** The rates a price has (core/prices `TokenPrice`): the only last parts of a `prices.` key read as a rate. */
export const RATES: ReadonlySet<string> = new Set<keyof TokenPrice>(["usdPerMillionIn", "usdPerMillionOut"]);

/** How a price is written, for the usage line and the fixes below. */
const HOW =
  "a price is set by its rates, prices.ENGINE.usdPerMillionIn and prices.ENGINE.usdPerMillionOut (USD per million tokens), and removed with prices.ENGINE=null";

/**
 * Refuse, before anything is sent, a `prices` key whose value no price table takes: `prices.ENGINE=V` with V neither
 * null (remove) nor an object of rates (`prices.codex.foo=1` reads as engine "codex.foo": no rate names its last
 * part), and `prices=V` with V not an object.
 * @param path the key's parts as cli/commands/settings `keyPath` splits it: `["prices", engine?]` (no rate)
 * @throws CliError usage — such a key, naming the two rates and `=null` (and the rate probably meant, if misspelt)
 */
export function checkPriceValue(key: string, path: readonly string[], value: unknown): void {
  if (path[0] !== "prices" || path.length > 2) return;
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
  if (isObject || (path.length === 2 && value === null)) return;
  // `prices.codex.usdPerMillionin=1`: a misspelt rate reads as part of the engine's name — say the rate meant.
  const parts = key.split(".");
  const meant = parts.length > 2 ? nearestName(parts.at(-1) ?? "", [...RATES]) : undefined;
  const guess = meant ? `did you mean \`${echoed([...parts.slice(0, -1), meant].join("."))}\`? ` : "";
  throw usageError(`${echoed(key)} takes no value of its own: ${guess}${HOW}`, "settings set");
}

/** core/prices' refusal of a new engine given one rate: `prices.codex has no usdPerMillionOut: a new engine's …`. */
const ONE_RATE = /^prices\.(\S+) has no (usdPerMillionIn|usdPerMillionOut): a new engine's price needs both rates/;
/**
 * An engine key the table cannot hold: `body.prices: key "кодекс": must be an engine name …` (worker/problem names a
 * refused record key), or an older coordinator's `body.prices.кодекс: Invalid key in record`.
 */
const BAD_ENGINE = /^body\.prices(?:\.[^:]+)?: (?:key ".*": )?(?:Invalid key in record|must be an engine name)/;
/** core/prices' refusal of a table past its bound: `prices would hold 73 engines: at most 64`. */
const TOO_MANY = /^prices would hold \d+ engines: at most \d+/;
/** A rate of the wrong type, in zod's words: `body.prices.codex.usdPerMillionIn: Invalid input: expected number`. */
const RATE_TYPE = /^body\.(prices\..+\.(?:usdPerMillionIn|usdPerMillionOut)): Invalid input: expected number/;

/**
 * The fix for a refused price patch, or undefined when the refusal is not about a price.
 * @param message the refusal's `what` (the coordinator's problem detail)
 * @param patch the patch sent (cli/commands/settings `parseAssignments`): the rate given is kept in the command
 */
export function priceFix(message: string, patch: Readonly<Record<string, unknown>>): string | undefined {
  const one = ONE_RATE.exec(message);
  if (one) {
    const [, engine = "", missing = ""] = one;
    const prices = patch.prices as Record<string, Partial<TokenPrice> | null> | undefined;
    const given = prices && Object.hasOwn(prices, engine) ? prices[engine] : undefined;
    const rate = (r: keyof TokenPrice) => `prices.${engine}.${r}=${r === missing ? "N" : String(given?.[r] ?? "N")}`;
    return (
      `an engine with no price yet is priced with both rates in one command: ` +
      `\`gigafactory settings set ${rate("usdPerMillionIn")} ${rate("usdPerMillionOut")}\` (N: USD per million tokens)`
    );
  }
  if (BAD_ENGINE.test(message)) {
    return (
      "an engine name is as a manifest's `engine:` writes it — lowercase letters, digits, `.`, `_` and `-`, " +
      "at most 32, starting with a letter or digit (codex, gpt-4.1) — or `*` for the default engine"
    );
  }
  if (TOO_MANY.test(message)) {
    return (
      "remove the prices of engines no factory runs any more (`gigafactory settings set prices.ENGINE=null`, up to " +
      "100 in one command; `gigafactory settings get` shows the table), then set these again"
    );
  }
  const typed = RATE_TYPE.exec(message);
  if (typed) return `\`${typed[1]}\` takes a number of USD per million tokens: write e.g. \`${typed[1]}=1.25\``;
  return undefined;
}
