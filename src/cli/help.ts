/**
 * @module cli/help
 * Help text rendered from cli/help-doc's description of the command specs, so it cannot drift from what the parser
 * accepts nor from `--help --json` (the same description as JSON): the overview (`gigafactory --help`), a family
 * (`gigafactory factory --help`) and one command (`gigafactory jobs --help`, with the commands under it, if any).
 */
import { OPERATOR_STAGES } from "../core/waiting.ts";
import type { CommandSpec } from "./args.ts";
import { USAGE_CODES } from "./exit-codes.ts";
import { commandDoc, type OptionDoc, overviewDoc, type RowDoc } from "./help-doc.ts";

/** An option as its help line shows it on the left: `-h, --help`, `--stage STAGE`, `--tag TAG…`. */
export function optionFlag(o: OptionDoc): string {
  return `${o.short ? `${o.short}, ` : ""}${o.name}${o.value ? ` ${o.value}` : ""}${o.repeatable ? "…" : ""}`;
}

/** An option as its help line shows it on the right: its description, then its choices. */
export function optionText(o: OptionDoc): string {
  return `${o.description}${o.choices ? ` (${o.choices.join("|")})` : ""}`;
}

/** A command as a list shows it on the left: its words and arguments (`budget set PERIOD CEILING_USD`). */
export function rowUsage(r: RowDoc): string {
  return `${r.command}${r.arguments ? ` ${r.arguments}` : ""}`;
}

/** Two columns, the left padded to its widest entry, each row indented by two spaces. */
function columns(rows: ReadonlyArray<readonly [string, string]>): string[] {
  const w = Math.max(0, ...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => `  ${l.padEnd(w)}  ${r}`);
}

const optionLines = (options: readonly OptionDoc[]): string[] =>
  columns(options.map((o) => [optionFlag(o), optionText(o)] as const));
const rowLines = (rows: readonly RowDoc[]): string[] => columns(rows.map((r) => [rowUsage(r), r.summary] as const));

/** One command's help as text (cli/help-doc `commandDoc`: the commands under it too, from `commands`). */
export function commandHelp(c: CommandSpec, commands: readonly CommandSpec[] = []): string {
  const doc = commandDoc(c, commands);
  return [
    `Usage: ${doc.usage}`,
    "",
    doc.summary,
    ...(doc.details ? ["", ...doc.details] : []),
    ...(doc.options.length > 0 ? ["", "Options:", ...optionLines(doc.options)] : []),
    ...(doc.commands ? ["", "Commands:", ...rowLines(doc.commands)] : []),
    "",
    "Global options:",
    ...optionLines(doc.globalOptions),
  ].join("\n");
}

/** What the overview says under its lists: where the connection comes from, timeouts, exit codes, errors. */
export const OVERVIEW_DETAILS: readonly string[] = [
  "Connection: flags, then GIGAFACTORY_URL / GIGAFACTORY_TOKEN / GIGAFACTORY_PRODUCT, then the file",
  "written by `gigafactory login` ($GIGAFACTORY_CONFIG or ~/.config/gigafactory/config.json).",
  // A shell's `export GIGAFACTORY_TOKEN=` is how one clears it; `--token "$T"` with T unset is a script's mistake.
  'An empty variable (`GIGAFACTORY_TOKEN=`) counts as unset; an empty flag (`--token ""`) is a usage error (exit 2).',
  "A variable that overrides the saved login is named on stderr, once a command.",
  "`gigafactory whoami` says which token that is: its product, role and name in the audit log.",
  "Timeout: each answer must start within --timeout / GIGAFACTORY_TIMEOUT seconds (default 30, 0 = no limit),",
  "and a JSON answer's body arrive within as long again, else `✘ ERROR timeout` (exit 1); a feed or a download",
  "that started is never cut. `watch` reopens a feed silent for 45 s, from the last event it printed.",
  // From core/waiting, as `watch` decides it: it said "3 when the job failed", and review and testing exit 3 too.
  // 130 and 143 are what a shell reports for a process a signal ended; a command whose paid work or secret was on its
  // way ends with them too, after its answer (cli/interruption).
  "Exit codes: 0 ok, 1 failed, 2 usage error, 130 interrupted by Ctrl-C, 143 by SIGTERM (`watch`: 3 when the job",
  `waits for an operator: ${OPERATOR_STAGES.join(", ")}).`,
  // One code, one exit: `product_required` exited 2 from `login` and 1 from every other command (cli-exit-codes).
  "Exit 2 is a command line, an input file it names (`submit FILE`, `children ID FILE.json`) or an output path it",
  "cannot open (`artifact … -o FILE`), a connection setting (URL, token, product), the saved login that holds them or",
  "a Node the command cannot run with:",
  `  ${USAGE_CODES.join(", ")}; other errors exit 1 — a refused token too (\`unauthorized\`, \`forbidden\`): a`,
  "  script reads it by its code; `gigafactory-agent` exits 3 for its own, so its service manager does not restart it.",
  "Errors: `✘ ERROR code: what happened / how to fix it` on stderr; under --json also, as stdout's one document,",
  "`{error: {code, message, fix, exitCode}}` (`watch --json`: its last NDJSON line).",
  "Help as JSON (scripts, shell completion): `gigafactory --help --json`, `gigafactory COMMAND --help --json`.",
  "Version: `gigafactory --version` prints this CLI's (its package.json's; `--json`: {version}), for a bug report.",
];

/** The overview as text, or only the commands starting with `family` (e.g. "factory"). */
export function overviewHelp(commands: readonly CommandSpec[], family?: string): string {
  const doc = overviewDoc(commands, family, OVERVIEW_DETAILS);
  return [
    doc.title,
    "",
    `Usage: ${doc.usage}`,
    "",
    "Commands:",
    ...rowLines(doc.commands),
    "",
    "Global options:",
    ...optionLines(doc.globalOptions),
    ...(doc.details ? ["", ...doc.details] : []),
  ].join("\n");
}
