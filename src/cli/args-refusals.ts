/**
 * @module cli/args-refusals
 * The refusals of a command line that `node:util` parseArgs lets through, as usage errors (exit 2) naming the option:
 * an empty connection flag (`--product "$P"` with P unset), and an option of one value given twice with two values
 * (`--stage queued --stage failed`): parseArgs keeps the last without a word, so the filter, the coordinator or the
 * token the user typed first was dropped silently — `jobs --stage queued --stage failed` listed the failed jobs only;
 * an empty argument (`gigafactory job "$ID"`, ID unset); and a word that was not UTF-8 (shared/argv-text).
 */
import { NOT_UTF8_FIX, notUtf8Problem } from "../shared/argv-text.ts";
import { EXIT_USAGE } from "../shared/fixable-error.ts";
import { echoed } from "./echoed-input.ts";
import { CliError, usageError } from "./errors.ts";

/** The option tokens of a parseArgs `tokens: true` run, as far as these checks read them. */
export interface OptionToken {
  kind: string;
  name?: string;
  value?: string;
}

/**
 * Throws a usage CliError for the first option that is neither repeatable (`multiple`) nor boolean and was given
 * twice with two values (`restore` turns a parsed word back into what was typed); the same value twice is one value.
 */
export function refuseRepeats(
  tokens: readonly OptionToken[],
  single: (name: string) => boolean,
  restore: (word: string) => string,
  command: string,
): void {
  const seen = new Map<string, string>();
  for (const t of tokens) {
    if (t.kind !== "option" || t.name === undefined || t.value === undefined || !single(t.name)) continue;
    const value = restore(t.value);
    const first = seen.get(t.name);
    if (first === undefined) seen.set(t.name, value);
    if (first === undefined || first === value) continue;
    // A token is a secret: named, never echoed (cli/own-tokens would hide it, but it need not be printed at all).
    const both = t.name === "token" ? "" : ` ("${echoed(first)}", then "${echoed(value)}")`;
    throw new CliError(
      "usage",
      `--${t.name} given twice${both}: it takes one value`,
      `give --${t.name} once; see \`gigafactory ${command} --help\``,
      2,
    );
  }
}

/**
 * An empty --url/--token/--product (`--product "$P"`, P unset) would fall through to the next layer (cli/config), and
 * the command act on the saved config's coordinator or product instead of the one the script meant: a usage error.
 * An empty GIGAFACTORY_* variable is unset instead (cli/config `envLayer`), as a shell's `export X=` means.
 */
export function refuseEmptyConnection(values: Readonly<Record<string, unknown>>, command: string): void {
  for (const key of ["url", "token", "product"]) {
    // Blanks alone are empty too: `fetch` strips them from a token's ends (an empty Bearer was sent), and a product
    // " " went out as `/products/%20/`.
    const value = values[key];
    if (typeof value !== "string" || value.trim() !== "") continue;
    const where = `GIGAFACTORY_${key.toUpperCase()} or the saved config`;
    throw usageError(
      `--${key} is empty (an unset shell variable?): give it a value, or leave it out to use ${where}`,
      command,
    );
  }
}

/**
 * An empty argument (`gigafactory cancel "$ID"`, ID unset) is a script's mistake, never a value: sent, `job ""` asked
 * for `…/jobs/` and was told "no route … check --url" (the URL was right), and `cancel ""` the same. `names` is the
 * command's argument line (`ID NAME`, `FILE.md…`): the empty one is named by its place in it.
 */
export function refuseEmptyArguments(positionals: readonly string[], names: string, command: string): void {
  const at = positionals.findIndex((p) => p.trim() === "");
  if (at < 0) return;
  const words = names.split(" ").map((w) => w.replace(/[[\]…]/g, ""));
  const name = words[Math.min(at, words.length - 1)] || "argument";
  throw usageError(`the ${name} argument is empty (an unset shell variable?): give it a value`, command);
}

/**
 * The checks of the values as given: an empty connection flag (`refuseEmptyConnection`), then any option value or
 * argument that was not UTF-8 (`refuseNotUtf8`). @throws CliError usage (exit 2) naming the option or argument
 */
export function refuseGivenValues(
  values: Readonly<Record<string, unknown>>,
  positionals: readonly string[],
  names: string,
  command: string,
): void {
  refuseEmptyConnection(values, command);
  refuseNotUtf8(values, positionals, names, command);
}

/**
 * Refuses the first option value or argument that was not UTF-8 (shared/argv-text): Node put U+FFFD for its bytes, and
 * `tokens mint --name $'\xff'` minted a token so named. `names` is the command's argument line, as for empty ones.
 * @throws CliError usage (exit 2) naming the option or the argument
 */
export function refuseNotUtf8(
  values: Readonly<Record<string, unknown>>,
  positionals: readonly string[],
  names: string,
  command: string,
): void {
  const words = names.split(" ").map((w) => w.replace(/[[\]…]/g, ""));
  const given: Array<[string, unknown]> = [
    ...Object.entries(values).map(([key, v]): [string, unknown] => [`--${key}`, v]),
    ...positionals.map((p, i): [string, unknown] => [
      `the ${words[Math.min(i, words.length - 1)] || "argument"} argument`,
      p,
    ]),
  ];
  for (const [where, value] of given) {
    for (const one of Array.isArray(value) ? value : [value]) {
      const problem = typeof one === "string" ? notUtf8Problem(one, where) : undefined;
      if (problem)
        throw new CliError("usage", problem, `${NOT_UTF8_FIX}; see \`gigafactory ${command} --help\``, EXIT_USAGE);
    }
  }
}

/** The argument names not given (`artifact ID` → "NAME", not "ID NAME"); all of `names` when they do not split. */
export function missingArgs(names: string, given: number): string {
  const left = names
    .split(" ")
    .slice(given)
    .filter((w) => !w.startsWith("["));
  return left.length > 0 ? left.join(" ") : names;
}
