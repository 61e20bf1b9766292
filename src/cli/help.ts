/**
 * @module cli/help
 * Help text generated from the command specs, so it cannot drift from what
 * the parser accepts: the overview (`gigafactory --help`), a family
 * (`gigafactory factory --help`) and one command (`gigafactory jobs --help`, with the commands under it, if any).
 */
import { OPERATOR_STAGES } from "../core/waiting.ts";
import { type CommandSpec, GLOBAL_OPTIONS, type OptionSpec } from "./args.ts";

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ""}--${name}${o.value ? ` ${o.value}` : ""}${o.multiple ? "…" : ""}`;
    const choices = o.choices ? ` (${o.choices.join("|")})` : "";
    return [flag, `${o.help}${choices}`] as const;
  });
  const w = Math.max(0, ...rows.map(([f]) => f.length));
  return rows.map(([f, h]) => `  ${f.padEnd(w)}  ${h}`);
}

function usageOf(c: CommandSpec): string {
  const opts = Object.keys(c.options).length > 0 ? " [options]" : "";
  return `gigafactory ${c.path.join(" ")}${c.args.names ? ` ${c.args.names}` : ""}${opts}`;
}

/**
 * One command's help; `commands` (the whole table) adds the commands under it: `budget --help` showed only the bare
 * `budget` (a read), so a newcomer asking how to set a budget was never told of `budget set`, `pause` or `resume`
 * (nor `tokens --help` of `tokens mint`) — a family heads by a command of its own lost the family listing.
 */
export function commandHelp(c: CommandSpec, commands: readonly CommandSpec[] = []): string {
  const own = Object.keys(c.options).length > 0 ? ["", "Options:", ...optionLines(c.options)] : [];
  const details = c.details?.length ? ["", ...c.details] : [];
  const under = commands.filter((s) => s.path.length > c.path.length && c.path.every((w, i) => s.path[i] === w));
  const rows = under.map((s) => [`${s.path.join(" ")}${s.args.names ? ` ${s.args.names}` : ""}`, s.summary] as const);
  const w = Math.max(0, ...rows.map(([u]) => u.length));
  const sub = rows.length > 0 ? ["", "Commands:", ...rows.map(([u, h]) => `  ${u.padEnd(w)}  ${h}`)] : [];
  return [
    `Usage: ${usageOf(c)}`,
    "",
    c.summary,
    ...details,
    ...own,
    ...sub,
    "",
    "Global options:",
    ...optionLines(GLOBAL_OPTIONS),
  ].join("\n");
}

/** The overview, or only the commands starting with `family` (e.g. "factory"). */
export function overviewHelp(commands: readonly CommandSpec[], family?: string): string {
  const shown = family ? commands.filter((c) => c.path[0] === family) : commands;
  const rows = shown.map((c) => [`${c.path.join(" ")}${c.args.names ? ` ${c.args.names}` : ""}`, c.summary] as const);
  const w = Math.max(...rows.map(([u]) => u.length));
  return [
    "gigafactory — the operator CLI of a Gigafactory coordinator",
    "",
    `Usage: gigafactory ${family ? `${family} ` : ""}<command> [options]`,
    "",
    "Commands:",
    ...rows.map(([u, s]) => `  ${u.padEnd(w)}  ${s}`),
    "",
    "Global options:",
    ...optionLines(GLOBAL_OPTIONS),
    "",
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
    `Exit codes: 0 ok, 1 failed, 2 usage error (\`watch\`: 3 when the job waits for an operator: ${OPERATOR_STAGES.join(", ")}).`,
    "Errors: `✘ ERROR code: what happened / how to fix it` on stderr; under --json also, as stdout's one document,",
    "`{error: {code, message, fix, exitCode}}` (`watch --json`: its last NDJSON line).",
  ].join("\n");
}
