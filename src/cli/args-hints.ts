/**
 * @module cli/args-hints
 * Usage errors (exit 2) for a command line a newcomer gets slightly wrong, naming what was probably meant: an option
 * misspelt (`--stag`: it said `Unknown option '--stag'`) or written with one dash (`-stage`: it said
 * `Unknown option '-s'`, a letter nobody typed), a subcommand misspelt where its family is a command too (`tokens mnt`,
 * `budget sett`: it said `unexpected argument "mnt"`), an option's value without the option (`jobs building`; `login
 * URL TOKEN`: a URL or a token, told by its shape, the token shown redacted), and a job id argument no job id can be —
 * most often the arguments in the wrong order (`artifact diff.patch job_…`), which was sent and came back as the
 * API's `validation_failed: jobId: … / fix the value named above` (exit 1).
 */
import { EntityId } from "../shared/api.ts";
import { nearestName } from "../shared/nearest-name.ts";
import { redactSecrets } from "../shared/redact-secrets.ts";
import type { CommandSpec, OptionSpec } from "./args.ts";
import { echoed, quotedInput } from "./echoed-input.ts";
import { CliError, usageError } from "./errors.ts";

/** `node:util` parseArgs's refusal of an option (`Unknown option '--stag'`, or `'-s'` from `-stage`). */
const UNKNOWN_OPTION = /^Unknown option '(-[^']*)'/;

/**
 * parseArgs's strict refusal `message` of `argv` as the usage error to print: an unknown option with the option it
 * probably meant (`options`: the command's and the global ones), else the message as it was.
 */
export function optionRefusal(
  message: string,
  argv: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
  command: string,
): CliError {
  const plain = message.replace(/\. To specify a positional.*$/s, "");
  const unknown = UNKNOWN_OPTION.exec(plain)?.[1];
  if (unknown === undefined) return usageError(plain, command);
  const names = Object.keys(options);
  const end = argv.indexOf("--");
  const words = end < 0 ? argv : argv.slice(0, end);
  // `-stage`: parseArgs reads a cluster of short options and refuses its first unknown letter (`-help`: the `e`).
  const single = /^-([^-]$)/.test(unknown)
    ? words.find((w) => /^-[^-]{2,}/.test(w) && w.includes(unknown[1]!) && names.includes(w.slice(1).split("=")[0]!))
    : undefined;
  if (single !== undefined) {
    const meant = `-${single.split("=")[0]}`;
    return usageError(
      `Unknown option '${echoed(single)}': long options take two dashes; did you mean "${meant}"?`,
      command,
    );
  }
  const typed = unknown.replace(/^-+/, "").split("=")[0]!;
  const near = unknown.startsWith("--") ? nearestName(typed, names) : undefined;
  // parseArgs's own words first, as where no command is named (cli/args `noCommand`).
  return usageError(`Unknown option '${echoed(unknown)}'${near ? `; did you mean "--${near}"?` : ""}`, command);
}

/**
 * Why `extra[0]`, the first argument past `command`'s last, cannot be one: a misspelt subcommand of its family, a
 * value of one of its options given without the option (a choice, or a value shaped as only one option takes:
 * `valueOption`), else plainly unexpected. `max` is how many arguments it takes; `extra` the arguments past it, each
 * named with its option when all are such values (`login URL TOKEN`: `did you mean "--url URL --token gf_p_…"?`);
 * `given`, the options already on the line, are never suggested again. A token is shown redacted, never whole.
 */
export function unexpectedArgument(
  command: CommandSpec,
  extra: readonly string[],
  max: number,
  commands: readonly CommandSpec[],
  given: ReadonlySet<string> = new Set(),
): CliError {
  const word = extra[0]!;
  const name = command.path.join(" ");
  const depth = command.path.length;
  const subs = commands
    .filter((c) => c.path.length === depth + 1 && command.path.every((w, i) => c.path[i] === w))
    .map((c) => c.path[depth] as string);
  // Only the first word after the command can be a subcommand (`tokens mnt`, not `job ID extra`).
  const sub = max === 0 ? nearestName(word, subs) : undefined;
  if (sub !== undefined)
    return usageError(`unknown command "${name} ${echoed(word)}"; did you mean "${name} ${sub}"?`, name);
  // A value of an option given without it — or misspelt too (`alerts resolvd`: it got no hint at all).
  const options = Object.entries(command.options);
  const exact = options.find(([, o]) => o.choices?.includes(word));
  const near = exact
    ? undefined
    : options
        .map(([o, spec]) => [o, spec.choices ? nearestName(word, spec.choices) : undefined] as const)
        .find(([, choice]) => choice !== undefined);
  const shaped = exact || near ? undefined : shapedValues(extra, command, given);
  const meant = exact ? `--${exact[0]} ${word}` : near ? `--${near[0]} ${near[1]}` : shaped;
  const hint = meant ? `; did you mean "${redactSecrets(meant)}"?` : "";
  const after = max ? ` after ${command.args.names}` : "";
  return usageError(`unexpected argument "${echoed(redactSecrets(word))}"${after}${hint}`, name);
}

/**
 * The option a value of this shape can only be meant for: a URL (`http://`, `https://`) for --url, a Gigafactory API
 * token (`gf_<product>_<secret>`, worker/auth) for --token, an enrollment code (`gfe_…`) for a command's --code.
 * Nothing else is guessed: a bare word may be anything.
 */
export function valueOption(word: string, command: CommandSpec): string | undefined {
  if (/^https?:\/\/\S+$/i.test(word)) return "url";
  if (/^gf_[a-z0-9][a-z0-9-]*_[A-Za-z0-9_-]{16,}$/.test(word)) return "token";
  if (/^gfe_[a-z0-9][a-z0-9-]*_[A-Za-z0-9_-]{16,}$/.test(word) && command.options.code) return "code";
  return undefined;
}

/** `extra` as `--option value …` when each is a value `valueOption` names, each option once and not in `given`. */
function shapedValues(extra: readonly string[], command: CommandSpec, given: ReadonlySet<string>): string | undefined {
  const flags = extra.map((w) => valueOption(w, command));
  const first = flags[0];
  if (first === undefined || given.has(first)) return undefined;
  const all = flags.every((f, i) => f !== undefined && !given.has(f) && flags.indexOf(f) === i);
  return (all ? extra : extra.slice(0, 1)).map((w, i) => `--${flags[i]} ${echoed(w)}`).join(" ");
}

/** `did you mean "factory approve"?` when `wrong` is a misspelt subcommand of `at` (`family`: its commands, whole). */
export function nearSubcommand(at: string, wrong: string, family: readonly string[]): string | undefined {
  const near = nearestName(
    wrong,
    family.map((f) => f.slice(at.length + 1)),
  );
  return near ? `did you mean "${at} ${near}"?` : undefined;
}

/**
 * `--stage must be one of …; got "buildin"`, with the choice it probably meant (`did you mean "building"?`). `what`
 * names the value: an option (`--stage`) or an argument (`PERIOD`). The one wording of every refused choice, so no
 * command checks its own (`alerts --state opn` said only "must be one of", with no hint).
 */
export function choiceRefusal(what: string, choices: readonly string[], raw: string, command: string): CliError {
  const near = nearestName(raw, choices);
  const meant = near ? `; did you mean "${near}"?` : "";
  return usageError(`${what} must be one of ${choices.join(", ")}; got "${echoed(raw)}"${meant}`, command);
}

/** `refuseJobId`, then an argument outside its `args.choices` (`budget set dya 25`) in `choiceRefusal`'s words. */
export function refuseArguments(command: CommandSpec, positionals: readonly string[]): void {
  refuseJobId(command, positionals);
  const names = command.args.names.split(" ");
  for (const [at, choices] of Object.entries(command.args.choices ?? {})) {
    const raw = positionals[Number(at)];
    if (raw !== undefined && !choices.includes(raw)) {
      throw choiceRefusal(names[Number(at)] ?? "the argument", choices, raw, command.path.join(" "));
    }
  }
}

/**
 * Refuses `command`'s first argument when the command takes a job id there (`jobIdArg`) and it is none an API path
 * takes (letters, digits, `_`, `-`; up to 64): a usage error that names the order of the arguments when another one
 * is a job id (`artifact diff.patch job_…`), else where real ids are listed.
 */
export function refuseJobId(command: CommandSpec, positionals: readonly string[]): void {
  const id = positionals[0];
  if (!command.jobIdArg || id === undefined || EntityId.safeParse(id).success) return;
  const name = command.path.join(" ");
  const swapped = positionals.slice(1).some((p) => /^job_/.test(p) && EntityId.safeParse(p).success);
  const what = `${quotedInput(id)} is not a job id${swapped ? ": the arguments are in the wrong order" : ""}`;
  const fix = swapped
    ? `give the job id first: \`gigafactory ${name} ${command.args.names}\``
    : "copy one from the ID column of `gigafactory jobs` (job ids are job_ then letters and digits)";
  throw new CliError("usage", what, fix, 2);
}
