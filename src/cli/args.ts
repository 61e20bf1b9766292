/**
 * @module cli/args
 * Command-line parsing on `node:util` parseArgs, in two passes: the first
 * (lenient, knowing every option of every command) finds the command words
 * wherever the options sit, the second (strict) parses that command's own
 * options and positionals. Values are checked here — integers, ranges,
 * choices — so a command receives only input it can use, and a mistake is a
 * usage error (exit 2) naming the option.
 */
import { parseArgs } from "node:util";
import { EXIT_USAGE } from "../shared/fixable-error.ts";
import { choiceRefusal, nearSubcommand, optionRefusal, refuseArguments, unexpectedArgument } from "./args-hints.ts";
import { missingArgs, refuseEmptyArguments, refuseGivenValues, refuseRepeats } from "./args-refusals.ts";
import { echoed } from "./echoed-input.ts";
import { CliError, unknownCommand, usageError } from "./errors.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Shown in help as `--name VALUE`. */
  value?: string;
  help: string;
  /** A whole number within [min, max]; parsed to a number. */
  int?: { min: number; max: number };
  choices?: readonly string[];
}

export interface CommandSpec {
  /** The command words, e.g. ["factory", "drain"]. */
  path: readonly string[];
  /** Positional arguments as shown in help ("ID", "FILE.md…"): their count checked, an index of `choices` too. */
  args: { names: string; min: number; max: number; choices?: Readonly<Record<number, readonly string[]>> };
  summary: string;
  /** More lines for the command's own help (not the overview): output format, exit codes. */
  details?: readonly string[];
  options: Readonly<Record<string, OptionSpec>>;
  /** Its --json output is NDJSON (one compact JSON value a line, its failure's too), not one document: `watch`. */
  ndjson?: boolean;
  /** Its first argument is a job id: one no job id can be is refused before sending (cli/args-hints `refuseJobId`). */
  jobIdArg?: boolean;
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: {
    type: "boolean",
    help: "one JSON document on stdout, nothing else; a failure's is {error: {code, …}} (`watch`: NDJSON, one event a line)",
  },
  help: { type: "boolean", short: "h", help: "show help for this command" },
  url: { type: "string", value: "URL", help: "coordinator URL (overrides GIGAFACTORY_URL and the config file)" },
  token: { type: "string", value: "TOKEN", help: "API token (overrides GIGAFACTORY_TOKEN and the config file)" },
  product: { type: "string", value: "P", help: "product id (overrides GIGAFACTORY_PRODUCT and the config file)" },
  timeout: {
    type: "string",
    value: "SECONDS",
    help: "how long each answer may take to start (default 30, or GIGAFACTORY_TIMEOUT; 0 = no limit)",
  },
};

export type OptionValue = string | boolean | number | string[] | undefined;

export interface ParsedLine<C extends CommandSpec> {
  /** Undefined when no command words were given (or only `--help`). */
  command?: C;
  values: Record<string, OptionValue>;
  positionals: string[];
  help: boolean;
}

function toParseArgs(options: Readonly<Record<string, OptionSpec>>) {
  return Object.fromEntries(
    Object.entries(options).map(([name, o]) => [
      name,
      { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
    ]),
  );
}

/** The command whose words are the longest prefix of `words`. */
export function matchCommand<C extends CommandSpec>(commands: readonly C[], words: readonly string[]): C | undefined {
  let best: C | undefined;
  for (const c of commands) {
    const fits = c.path.length <= words.length && c.path.every((w, i) => words[i] === w);
    if (fits && (!best || c.path.length > best.path.length)) best = c;
  }
  return best;
}

/**
 * A decimal number as typed (`25`, `-0.5`, `.5`, `1e3`), or undefined for anything else: an empty word (`Number("")`
 * is 0), hex, `Infinity`, one too large to be finite (`1e400` — JSON would send it as null), or one too small to be
 * told from 0 (`1e-400` read as 0: `--margin 1e-400` was sent as 0). Every number the CLI reads from a word goes
 * through here or through the `int` check below.
 */
export function decimal(raw: string): number | undefined {
  if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(raw.trim())) return undefined;
  const n = Number(raw);
  if (n === 0 && /[1-9]/.test(raw.split(/e/i)[0] ?? "")) return undefined;
  return Number.isFinite(n) ? n : undefined;
}

function checkValue(name: string, o: OptionSpec, raw: string, command: string): string | number {
  if (o.choices && !o.choices.includes(raw)) throw choiceRefusal(`--${name}`, o.choices, raw, command);
  if (!o.int) return raw;
  const n = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < o.int.min || n > o.int.max) {
    const got = `got "${echoed(raw)}"`;
    throw usageError(`--${name} must be a whole number from ${o.int.min} to ${o.int.max}; ${got}`, command);
  }
  return n;
}

/**
 * A negative number (`-3`, `-0.5`) is a value, never an option — no option here is a digit — but parseArgs reads
 * any word starting with "-" as one ("Unknown option '-3'"). Such words are carried through parsing behind this
 * prefix (a NUL cannot come from a shell) and restored after, so `budget set day -3` reaches the command, which can
 * say what is wrong with the value.
 */
const NEGATIVE = "\u0000";
const isNegativeNumber = (word: string): boolean => /^-(\d|\.\d)/.test(word);
const shield = (argv: readonly string[]): string[] => argv.map((w) => (isNegativeNumber(w) ? NEGATIVE + w : w));
const unshield = (word: string): string => (word.startsWith(NEGATIVE) ? word.slice(NEGATIVE.length) : word);

/**
 * The first string option written `--name` (not `--name=value`) whose next word is another option (`--json`, `-h`)
 * or nothing: it has no value. Never the next option taken as its value — `--stage --json` is `--stage` missing its
 * value, not a stage called "--json"; a value that starts with "-" is written `--name=-x`. Negative numbers are
 * shielded (see above) and stay values; words after `--` are arguments.
 */
function valueMissing(argv: readonly string[], options: Readonly<Record<string, OptionSpec>>) {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") return undefined;
    const name = /^--([^=]+)$/.exec(word)?.[1];
    if (name === undefined || options[name]?.type !== "string") continue;
    const next = argv[i + 1];
    if (next === undefined || (next.startsWith("-") && next !== "-")) return { name, next };
    i++; // its value
  }
  return undefined;
}

/** Why a command line with options but no command words cannot run: its first unknown option, else the missing command. */
function noCommand(argv: readonly string[]): Error {
  try {
    parseArgs({ args: [...argv], options: toParseArgs(GLOBAL_OPTIONS), strict: true, allowPositionals: true });
  } catch (err) {
    return usageError((err as Error).message.replace(/\. To specify a positional.*$/s, ""));
  }
  return usageError("missing command");
}

/**
 * Why `words` name no command: an unknown first word, a family without its subcommand (`factory`), or a family with
 * one it lacks (`factory drian` — it said `"factory" needs a subcommand`, as if none had been typed).
 */
function noSuchCommand(commands: readonly CommandSpec[], words: readonly string[]): Error {
  const under = (depth: number) => commands.filter((c) => words.slice(0, depth).every((w, i) => c.path[i] === w));
  let depth = 1;
  while (depth < words.length && under(depth + 1).length > 0) depth++;
  const family = under(depth).map((c) => c.path.join(" "));
  if (family.length === 0) return unknownCommand(String(words[0]), commands);
  const at = words.slice(0, depth).join(" ");
  const wrong = words[depth];
  return wrong === undefined
    ? usageError(`"${at}" needs a subcommand: ${family.join(", ")}`, words[0])
    : usageError(
        `unknown command "${echoed(`${at} ${wrong}`)}"; ${nearSubcommand(at, wrong, family) ?? `"${at}" has: ${family.join(", ")}`}`,
        words[0],
      );
}

export function parseCommandLine<C extends CommandSpec>(
  rawArgv: readonly string[],
  commands: readonly C[],
): ParsedLine<C> {
  const argv = shield(rawArgv);
  const every: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS };
  for (const c of commands) Object.assign(every, c.options);
  const loose = parseArgs({ args: [...argv], options: toParseArgs(every), strict: false, allowPositionals: true });
  const help = loose.values.help === true;
  const command = matchCommand(commands, loose.positionals);
  if (!command) {
    const first = loose.positionals[0];
    if (help || argv.length === 0) return { values: {}, positionals: loose.positionals, help: true };
    // Options and no command (`gigafactory --version`, `gigafactory --json`): a usage error, never the help with
    // exit 0, so a script that lost its command word or passed an option this CLI lacks does not pass.
    if (first === undefined) throw noCommand(argv);
    throw noSuchCommand(commands, loose.positionals);
  }
  const name = command.path.join(" ");
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  const missing = valueMissing(argv, options);
  if (missing) {
    const { name: flag, next } = missing;
    const what = next === "--" ? "-- ends the options" : `${next} is an option`;
    const got = next === undefined ? "" : ` (${what}; a value starting with - is written --${flag}=${echoed(next)})`;
    throw usageError(`--${flag} needs a value${got}`, name);
  }
  let strict: ReturnType<typeof parseArgs>;
  try {
    strict = parseArgs({ args: [...argv], options: toParseArgs(options), strict: true, allowPositionals: true });
  } catch (err) {
    throw optionRefusal((err as Error).message, argv, options, name);
  }
  const once = (key: string) => options[key]?.type === "string" && options[key]?.multiple !== true;
  refuseRepeats(strictTokens(argv, options), once, unshield, name);
  // The command words are the first positionals (pass one found them there); the rest are arguments.
  const positionals = strict.positionals.slice(command.path.length).map(unshield);
  const values: Record<string, OptionValue> = {};
  for (const [key, raw] of Object.entries(strict.values)) {
    const o = options[key]!;
    if (Array.isArray(raw)) values[key] = raw.map((r) => String(checkValue(key, o, unshield(String(r)), name)));
    else values[key] = typeof raw === "string" ? checkValue(key, o, unshield(raw), name) : raw;
  }
  refuseGivenValues(values, positionals, command.args.names, name);
  if (!help) {
    const { min, max, names } = command.args;
    if (positionals.length < min) throw usageError(`missing ${missingArgs(names, positionals.length)}`, name);
    refuseEmptyArguments(positionals, names, name);
    if (positionals.length > max && names.endsWith("…")) {
      // A list past its cap (`submit examples/*.md` over 10,000 files): "unexpected argument" named a file like the
      // others, as if it were the mistake.
      const fix = `run it in parts of at most ${max} (e.g. \`xargs -n ${max} gigafactory ${name}\`)`;
      throw new CliError(
        "usage",
        `${positionals.length} ${names} given; one run takes at most ${max}`,
        fix,
        EXIT_USAGE,
      );
    }
    if (positionals.length > max) {
      throw unexpectedArgument(command, positionals.slice(max), max, commands, new Set(Object.keys(values)));
    }
    refuseArguments(command, positionals);
  }
  return { command, values, positionals, help };
}

/** The option tokens of the strict parse (`tokens: true`), read apart so the parse above keeps its plain type. */
function strictTokens(argv: readonly string[], options: Readonly<Record<string, OptionSpec>>) {
  return parseArgs({
    args: [...argv],
    options: toParseArgs(options),
    strict: true,
    allowPositionals: true,
    tokens: true,
  }).tokens;
}
