/**
 * @module agent/cli-args
 * The agent's command line: `gigafactory-agent <command> [--flag value]…`.
 * Pure parsing against a per-command flag table, so a typo (`--seat 2`) is an
 * error that names the flag instead of a silently ignored option.
 */

import { NOT_UTF8_FIX, notUtf8Problem } from "../shared/argv-text.ts";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";

export type FlagKind = "string" | "list" | "bool";
export type FlagTable = Readonly<Record<string, FlagKind>>;
export type FlagValues = Record<string, string | string[] | boolean>;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const COMMON: FlagTable = { "state-dir": "string", json: "bool", help: "bool" };

export const ENROLL_FLAGS: FlagTable = {
  ...COMMON,
  url: "string",
  product: "string",
  code: "string",
  token: "string",
  name: "string",
  cap: "list",
  seats: "string",
  // Saved in the config file for `run`, and checked before a code is spent (agent/engine-user-setup).
  "work-dir": "string",
  "engine-user": "string",
};

export const RUN_FLAGS: FlagTable = {
  ...COMMON,
  url: "string",
  product: "string",
  token: "string",
  name: "string",
  seats: "string",
  cap: "list",
  engine: "list",
  "default-engine": "string",
  config: "string",
  "work-dir": "string",
  "checkpoint-remote": "string",
  "checkpoint-interval": "string",
  "drain-timeout": "string",
  "lease-ttl": "string",
  "keep-workspaces": "bool",
  "engine-user": "string",
  "engine-env": "list",
  "allow-local-repos": "bool",
  "parent-pid": "string",
};

export interface ParsedArgs {
  command: string | undefined;
  flags: FlagValues;
}

/**
 * `argv` without node and script → command + flags. `-h` is `--help`; `--flag=value` and `--flag value` both work,
 * except that a separate value may not start with `--` (that is the next flag: the value was forgotten).
 * @throws UsageError — an unknown command or flag, a missing value, a value on a boolean, a stray argument;
 *   FixableError `usage` (exit 2) — a value that was not UTF-8 (shared/argv-text).
 */
export function parseArgs(argv: readonly string[], tables: Readonly<Record<string, FlagTable>>): ParsedArgs {
  const [command, ...rest] = argv;
  if (command === undefined) return { command: undefined, flags: {} };
  if (command === "-h" || command === "--help" || command === "help")
    return { command: undefined, flags: { help: true } };
  const table = tables[command];
  if (!table)
    throw new UsageError(`unknown command ${JSON.stringify(command)}; commands: ${Object.keys(tables).join(", ")}`);
  const flags: FlagValues = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg === "-h") {
      flags.help = true;
      continue;
    }
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument ${JSON.stringify(arg)} (flags start with --)`);
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const kind = table[name];
    if (!kind)
      throw new UsageError(
        `unknown flag --${name} for ${command}; known: ${Object.keys(table)
          .map((f) => `--${f}`)
          .join(" ")}`,
      );
    if (kind === "bool") {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      const next = rest[i + 1];
      // `--code --state-dir X` is a forgotten value, not the code "--state-dir" (which then left X a stray argument):
      // a value that starts with -- must be attached, `--code=--x`.
      if (next === undefined) throw new UsageError(`--${name} needs a value`);
      if (next.startsWith("--")) {
        // Only the flag's name: `--token=gf_…` must not be echoed.
        const flag = next.split("=")[0];
        throw new UsageError(
          `--${name} needs a value (${flag} is the next flag; a value starting with -- is --${name}=…)`,
        );
      }
      value = next;
      i++;
    }
    // Node read its bytes that were not UTF-8 as U+FFFD (shared/argv-text): an engine template or a name so read is
    // not what was typed.
    const notUtf8 = notUtf8Problem(value, `--${name}`);
    if (notUtf8) throw new FixableError("usage", notUtf8, NOT_UTF8_FIX, EXIT_USAGE);
    if (kind === "list") {
      const prev = flags[name];
      flags[name] = Array.isArray(prev) ? [...prev, value] : [value];
    } else {
      flags[name] = value;
    }
  }
  return { command, flags };
}

/**
 * A number flag's value (`--seats 2`), undefined when not given.
 * @throws FixableError `usage` (exit 2) — not a number in [min, max]: the CLI's code for a flag value it cannot take
 *   (it was `bad_flag`, for the same fault).
 */
export function parseNumber(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new FixableError(
      "usage",
      `--${flag} ${JSON.stringify(raw)} is not a number in [${min}, ${max}]`,
      `pass e.g. --${flag} ${min === 0 ? 30 : Math.max(min, 1)}`,
      EXIT_USAGE,
    );
  }
  return n;
}

export const USAGE = `gigafactory-agent — runs coding jobs for a Gigafactory coordinator

  gigafactory-agent enroll --url URL (--code gfe_… | --token gf_…) [--product P] [--name N] [--cap C]… [--seats N]
                           [--work-dir DIR] [--engine-user USER]
  gigafactory-agent run [--url URL --product P --token T] [--seats N] [--cap C]… [--engine name=command]…
  gigafactory-agent --version

enroll: the code or token names its product; --product, when given, must agree (flags > env GIGAFACTORY_URL /
GIGAFACTORY_PRODUCT, as for run). --work-dir and --engine-user are saved in the config file for run; with a code, a
work dir the engine user could not reach is refused (engine_user_access) before the code is spent.
run flags (flags > env GIGAFACTORY_URL / GIGAFACTORY_PRODUCT / GIGAFACTORY_FACTORY_TOKEN > config file;
an empty variable counts as unset):
  --config FILE            config file (default <state-dir>/config.json, written by enroll)
  --state-dir DIR          agent state (env GIGAFACTORY_AGENT_STATE, default ~/.gigafactory-agent)
  --work-dir DIR           workspaces and repo mirrors, never inside the state dir (default <state-dir>-work)
  --engine-user USER       run engines as USER (needs root; a root agent defaults to nobody)
  --engine-env NAME        pass this variable to engines too (repeatable; see README "Security model")
  --allow-local-repos      let jobs name a repository by a path on this host
  --seats N                jobs run at once (default 1)
  --cap C                  extra capability to advertise (repeatable)
  --engine name=command    engine command template (repeatable); {job_file} {workdir} {job_id} {attempt}
  --default-engine NAME    engine for jobs that name none: claude, codex, sample or an --engine's NAME
  --checkpoint-interval S  seconds between WIP checkpoints (default 30)
  --checkpoint-remote DIR  bare repo for checkpoints of jobs without a repo (default <work-dir>/checkpoints.git)
  --drain-timeout S        on SIGTERM, seconds to let running jobs finish (default 30)
  --parent-pid PID         drain too once PID is no longer its parent (the supervisor that started it was killed);
                           a hangup, as SIGHUP: a stop forced after it exits 129
  --lease-ttl S            at most this lease TTL (5–3600; the job's or product's TTL governs, this only shortens it)
  --keep-workspaces        leave finished workspaces on disk
  --json                   NDJSON output

run signals (to the agent's own pid; start it with node, not npx, or the signal reaches npm):
  SIGTERM, SIGINT, SIGHUP  drain: no new work, running jobs finish (or are released after --drain-timeout); a
                           second one kills the engines at once and waits up to 10 s for the reports under way (a
                           third exits at once), then exits 128 + its number (SIGTERM 143, SIGINT 130, SIGHUP 129)
  SIGUSR2                  look now at engines withdrawn as unable to start (engine.withdrawn), and offer again each
                           that looks fixed (engine.restored) — otherwise looked at after 5 min, doubling to 1 h, or
                           at the next start; and for claude and codex when they were not installed at start
                           (engine.absent), offering each now installed (engine.installed) — otherwise looked for
                           every 5 min

Exit codes: 0 ok; 1 an operation failed (a refused or unreachable enrollment, …); 2 a command line or config it cannot
run with (not_logged_in, product_required, bad_url, config_missing, config_invalid, state_in_use, …: the CLI's codes
for the same faults); 3 the factory's credentials are gone (revoked, replaced, its token refused: unauthorized,
forbidden): do not restart it (systemd: RestartPreventExitStatus=3) — restarted, it would be refused again forever;
\`gigafactory\` exits 1 for the same codes, as nothing restarts a command and a script reads its code; a stop forced
by a second signal, 128 + its number.
Errors: \`✘ ERROR code: what happened / how to fix it\` on stderr; under --json, one NDJSON line on stdout,
{"event": "error", "code", "message", "fix", "exitCode"} (exitCode when the error ends the agent).`;
