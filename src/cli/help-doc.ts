/**
 * @module cli/help-doc
 * The help of the CLI as data, built from the command specs (cli/args, cli/registry): what `--help --json` prints
 * for scripts and shell completion, and what cli/help renders as text — one table read once, so the two can never
 * disagree. Shapes:
 * - a command: `{command, summary, usage, arguments?, details?, options: OptionDoc[], commands?: RowDoc[],
 *   globalOptions: OptionDoc[]}` (`commands`: the ones under it, `budget` → `budget set`, …);
 * - the overview or a family: `{title, usage, commands: RowDoc[], globalOptions: OptionDoc[], details?}`.
 */
import { type CommandSpec, GLOBAL_OPTIONS, type OptionSpec } from "./args.ts";

/** One option: `name` as typed (`--stage`), `short` (`-h`), `value` its placeholder, `repeatable` if given again adds. */
export interface OptionDoc {
  name: string;
  short?: string;
  value?: string;
  repeatable: boolean;
  description: string;
  /** The only values it takes (shown in text as ` (a|b)` after the description). */
  choices?: string[];
}

/** A command as a line of a list: its words, its arguments as help shows them (`ID`), its one-line summary. */
export interface RowDoc {
  command: string;
  arguments?: string;
  summary: string;
}

export interface CommandDoc {
  command: string;
  summary: string;
  usage: string;
  arguments?: string;
  details?: string[];
  options: OptionDoc[];
  commands?: RowDoc[];
  globalOptions: OptionDoc[];
}

export interface OverviewDoc {
  title: string;
  usage: string;
  commands: RowDoc[];
  globalOptions: OptionDoc[];
  details?: string[];
}

export function optionDocs(options: Readonly<Record<string, OptionSpec>>): OptionDoc[] {
  return Object.entries(options).map(([name, o]) => ({
    name: `--${name}`,
    ...(o.short ? { short: `-${o.short}` } : {}),
    ...(o.value ? { value: o.value } : {}),
    repeatable: o.multiple === true,
    description: o.help,
    ...(o.choices ? { choices: [...o.choices] } : {}),
  }));
}

export function rowDoc(c: CommandSpec): RowDoc {
  return { command: c.path.join(" "), ...(c.args.names ? { arguments: c.args.names } : {}), summary: c.summary };
}

/**
 * One command's help; `commands` (the whole table) adds the commands under it: `budget --help` showed only the bare
 * `budget` (a read), so a newcomer asking how to set a budget was never told of `budget set`, `pause` or `resume`.
 */
export function commandDoc(c: CommandSpec, commands: readonly CommandSpec[] = []): CommandDoc {
  const opts = Object.keys(c.options).length > 0 ? " [options]" : "";
  const under = commands.filter((s) => s.path.length > c.path.length && c.path.every((w, i) => s.path[i] === w));
  return {
    command: c.path.join(" "),
    summary: c.summary,
    usage: `gigafactory ${c.path.join(" ")}${c.args.names ? ` ${c.args.names}` : ""}${opts}`,
    ...(c.args.names ? { arguments: c.args.names } : {}),
    ...(c.details?.length ? { details: [...c.details] } : {}),
    options: optionDocs(c.options),
    ...(under.length > 0 ? { commands: under.map(rowDoc) } : {}),
    globalOptions: optionDocs(GLOBAL_OPTIONS),
  };
}

/** The overview, or only the commands starting with `family` (e.g. "factory"), with `details` under the lists. */
export function overviewDoc(
  commands: readonly CommandSpec[],
  family: string | undefined,
  details: readonly string[],
): OverviewDoc {
  const shown = family ? commands.filter((c) => c.path[0] === family) : commands;
  return {
    title: "gigafactory — the operator CLI of a Gigafactory coordinator",
    usage: `gigafactory ${family ? `${family} ` : ""}<command> [options]`,
    commands: shown.map(rowDoc),
    globalOptions: optionDocs(GLOBAL_OPTIONS),
    ...(details.length > 0 ? { details: [...details] } : {}),
  };
}
