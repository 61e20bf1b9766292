/**
 * @module agent/engines
 * The engine table: which coding engines this host can run and how. Defaults
 * are `claude` → `claude -p --output-format stream-json --verbose` and `codex` → `codex exec --json` (each
 * advertised only when its command is installed) and `sample` → the bundled sample engine
 * (always available: Node is). Config-file engines override defaults, and
 * `--engine name=template` flags override both.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import { findOnPath, type PathLookup } from "./capabilities.ts";
import { splitCommand } from "./command-template.ts";

/**
 * Each in its machine format, the only output that says what a run spent and whether its provider throttled it
 * (agent/engine-formats): in plain text neither a job's `budget.usd`/`tokens` nor a rate limit could be seen.
 * Claude Code refuses `stream-json` under `-p` without `--verbose`.
 */
export const DEFAULT_ENGINES: Readonly<Record<string, string>> = Object.freeze({
  claude: "claude -p --output-format stream-json --verbose",
  codex: "codex exec --json",
});

/** The bundled sample engine, next to this checkout's `examples/`. */
export const SAMPLE_ENGINE_SCRIPT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../examples/engines/sample-engine.mjs",
);

/** One argv word, quoted for `splitCommand` only when it needs it. */
export function quoteWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The `sample` engine's template: this very Node binary running the bundled script. */
export function sampleTemplate(nodePath: string = process.execPath, script: string = SAMPLE_ENGINE_SCRIPT): string {
  return `${quoteWord(nodePath)} ${quoteWord(script)}`;
}

/** Later layers win: defaults < config file < flags. Insertion order = preference order for jobs naming no engine. */
export function engineTable(...layers: ReadonlyArray<Readonly<Record<string, string>>>): Map<string, string> {
  const table = new Map<string, string>();
  for (const layer of layers) for (const [name, template] of Object.entries(layer)) table.set(name, template);
  return table;
}

/** The subset of the table whose command is installed, preserving order. */
export function availableEngines(table: ReadonlyMap<string, string>, lookup: PathLookup): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, template] of table) {
    const argv0 = splitCommand(template)[0] as string;
    if (findOnPath(argv0, lookup) !== undefined) out.set(name, template);
  }
  return out;
}

/**
 * Which engine runs a job. A job naming an engine gets exactly that one (the router
 * only sends it here if we advertise `engine:<name>`); otherwise `preferred`, else the
 * operator's own engines first, then claude, codex, sample — the first available.
 */
export function pickEngine(
  jobEngine: string | undefined,
  available: ReadonlyMap<string, string>,
  preferred?: string,
): { name: string; template: string } | { error: string } {
  if (jobEngine) {
    const template = available.get(jobEngine);
    if (template) return { name: jobEngine, template };
    const have = [...available.keys()].join(", ") || "none";
    return { error: `job wants engine ${jobEngine}, which this host does not have (available: ${have})` };
  }
  if (preferred) {
    const template = available.get(preferred);
    if (template) return { name: preferred, template };
  }
  const defaults = new Set([...Object.keys(DEFAULT_ENGINES), "sample"]);
  const order = [...[...available.keys()].filter((n) => !defaults.has(n)), "claude", "codex", "sample"];
  for (const name of order) {
    const template = available.get(name);
    if (template) return { name, template };
  }
  return { error: "no engine is available on this host" };
}

/**
 * The engine `run` prefers for a job naming none: `flag` (--default-engine) over `fromFile` (the config file's
 * defaultEngine), when the agent knows it — claude, codex, sample, or one `operatorEngines` (config file and --engine)
 * adds; undefined when neither names one. `--default-engine nosuch` was taken, and every job fell back to another
 * engine without a word. A known engine that is not installed is taken: the run's own notice says so.
 * @throws FixableError `bad_engine` (exit 2) naming where it came from and listing the known engines
 */
export function knownDefaultEngine(
  flag: string | undefined,
  fromFile: string | undefined,
  operatorEngines: Readonly<Record<string, string>>,
): string | undefined {
  const [name, source] =
    flag !== undefined ? [flag, "--default-engine"] : [fromFile, "the config file's defaultEngine"];
  if (!name) return undefined;
  const known = [...new Set([...Object.keys(DEFAULT_ENGINES), "sample", ...Object.keys(operatorEngines)])];
  if (known.includes(name)) return name;
  throw new FixableError(
    "bad_engine",
    `${source} ${JSON.stringify(name)} is no engine this agent knows (it knows ${known.join(", ")})`,
    `pass one of them, or add it: --engine ${/^[\w.-]+$/.test(name) ? name : "NAME"}="its command"`,
    EXIT_USAGE,
  );
}
