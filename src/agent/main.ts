/**
 * @module agent/main
 * Entry point of `gigafactory-agent` (bin/gigafactory-agent.mjs imports this
 * file): parse the command line, run `enroll` or `run`, and turn every failure
 * into `✘ ERROR code: what happened / how to fix it` with a meaningful exit
 * code (0 ok, 1 error — a refused enrollment included, 2 usage/config — a state dir another agent runs on included,
 * 3 credentials gone — do not restart). `run` and `enroll` hold their state dir (agent/state-lock) until they exit.
 * Every failure an operator can fix is one shared/fixable-error FixableError carrying its exit code; the printer
 * (agent/output) hides secrets, the `--token`/`--code`, the environment's and the config file's token included.
 */
import os from "node:os";
import path from "node:path";
import { envValue } from "../shared/env-value.ts";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import { exitAgent } from "./agent-exit.ts";
import { ENROLL_FLAGS, parseArgs, RUN_FLAGS, USAGE, UsageError } from "./cli-args.ts";
import { EXIT, PARENT_EXITED } from "./close-codes.ts";
import { resolveRunConfig, stateDirFrom } from "./config.ts";
import { configFileWarnings, fileMode, type Missing, requireConfigFile } from "./config-file-checks.ts";
import { type ConfigText, readConfigFile, readConfigText, storedToken } from "./config-read.ts";
import { plainHttpWarning } from "./credential-checks.ts";
import { engineProbe } from "./engine-offer.ts";
import { withUnavailable } from "./engine-unavailable.ts";
import { prepareEngineUser } from "./engine-user-setup.ts";
import { enrollCommand } from "./enroll.ts";
import { runGitInSandbox } from "./git.ts";
import { agentVersion, hostProfile } from "./host.ts";
import { interruptible } from "./interrupt.ts";
import { sweepNeutralDirs } from "./neutral-dirs.ts";
import { createOutput, type Output } from "./output.ts";
import { parentPid, watchParent } from "./parent-watch.ts";
import { detectSandbox } from "./sandbox.ts";
import { configPath, ensurePrivateDir } from "./state.ts";
import { sweepStateTemps } from "./state-leftovers.ts";
import { lockStateDir } from "./state-lock.ts";
import { Supervisor } from "./supervisor.ts";
import { agentWorkDirs, onRealWorkDir } from "./work-dirs.ts";
import { removeInSandbox } from "./workspace-removal.ts";

/** What a signal during `run`'s start-up left (agent/interrupt): no connection, no job, the state dir free. */
const STARTING = {
  what: "run stopped while starting, before it connected: it took no job, and its state dir is free",
  fix: "run the same command again to start this factory",
};

/**
 * `run`: the supervisor started, then run to its exit code. A signal before its drain handlers are installed (the
 * checks, the lock, the sandbox's probe) killed the agent without a word, its state dir's lock left: it says so now
 * and exits 128 + the signal's number, the lock released (agent/interrupt).
 */
async function runCommand(
  flags: Parameters<typeof resolveRunConfig>[0],
  stateDir: string,
  out: Output,
  config: { file: string; read: ConfigText },
): Promise<number> {
  const supervisor = await interruptible(out, STARTING, async () => {
    const started = await startSupervisor(flags, stateDir, out, config);
    // A signal that came during the synchronous steps is taken now, as an interruption: not as a drain of a
    // supervisor that never ran (signals are dispatched before setImmediate's callbacks).
    await new Promise((r) => setImmediate(r));
    installSignals(started, flags);
    return started;
  });
  return supervisor.run();
}

/** The drain's signals, SIGUSR2's recheck and the parent's watch on `supervisor`: installed in one synchronous step. */
function installSignals(supervisor: Supervisor, flags: Parameters<typeof resolveRunConfig>[0]): void {
  const parent = typeof flags["parent-pid"] === "string" ? parentPid(flags["parent-pid"]) : undefined;
  // The terminal or pipe it prints to going away (an SSH session closed, a log shipper died) must not kill the agent:
  // its engines, each in its own process group, would run on orphaned. A write error is dropped; SIGHUP drains.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const)
    process.on(signal, () => void supervisor.drain(signal));
  // An engine fixed while the agent runs is offered again at once, not up to an hour later (agent/engine-offer).
  // Not SIGUSR1: Node keeps that one for its inspector.
  process.on("SIGUSR2", () => void supervisor.recheckEngines());
  if (parent !== undefined) watchParent(parent, () => void supervisor.drain(PARENT_EXITED));
}

/** `config`: the config file's one read (agent/config-read), made by `main` — a pipe given as --config reads once. */
async function startSupervisor(
  flags: Parameters<typeof resolveRunConfig>[0],
  stateDir: string,
  out: Output,
  config: { file: string; read: ConfigText },
): Promise<Supervisor> {
  const explicit = typeof flags.config === "string";
  const configFile = config.file;
  const mode = fileMode(configFile);
  const given = (flag: string, env: string) =>
    typeof flags[flag] === "string" || envValue(process.env, env) !== undefined;
  const missing: Missing[] = [];
  if (!given("url", "GIGAFACTORY_URL")) missing.push("url");
  if (!given("token", "GIGAFACTORY_FACTORY_TOKEN")) missing.push("token");
  requireConfigFile(configFile, mode !== undefined, explicit, missing);
  const file = readConfigFile(configFile, config.read, !explicit);
  for (const w of configFileWarnings(configFile, file, mode)) out.say("⚠", w.event, w.text);
  const resolved = resolveRunConfig(flags, process.env, file, {
    stateDir,
    configFile,
    hostname: os.hostname().split(".")[0] ?? "factory",
  });
  const clear = plainHttpWarning(resolved.url); // said once: every request and the socket carry the token there
  if (clear) out.say("⚠", "url.plain_http", clear, { url: resolved.url });
  ensurePrivateDir(resolved.stateDir);
  // Before anything connects: a second agent on this state dir would take the factory over (agent/state-lock).
  lockStateDir(resolved.stateDir, "run");
  sweepStateTemps(resolved.stateDir, out); // writes a kill -9 cut short: a config's held its token (agent/state-leftovers)
  // Before any engine runs: the work dir's own dirs, never a link an engine left, on its real path (agent/work-dirs).
  const cfg = onRealWorkDir(resolved);
  const profile = hostProfile(cfg.engines, cfg.extraCaps);
  if (profile.engines.size === 0) {
    throw new FixableError(
      "no_engine",
      "no engine command is installed on this host",
      'install claude or codex, or pass --engine name="command"',
      EXIT_USAGE,
    );
  }
  // Every job is a git repository (a clone's worktree, or a scratch repo): without git each failed in a second, an
  // attempt spent, on a host that kept taking the next.
  if (!profile.capabilities.includes("has:git")) {
    const where = process.env.PATH || "empty";
    throw new FixableError("git_missing", `git is not on this host's PATH (${where})`, "install git", EXIT_USAGE);
  }
  const engineUser = prepareEngineUser(cfg, profile.engines);
  const writable = [...agentWorkDirs(cfg.workDir), cfg.checkpointRemote]; // bound onto themselves: never swapped
  const sandbox = engineUser ? undefined : detectSandbox(cfg.stateDir, configFile, writable);
  if (engineUser) out.say("·", "engine.user", `engines run as ${engineUser.name} (uid ${engineUser.uid})`);
  else if (sandbox) out.say("·", "engine.sandbox", `engines run in a bubblewrap sandbox without ${cfg.stateDir}`);
  else {
    out.say(
      "⚠",
      "engine.unconfined",
      "engines run as this user, unsandboxed: one could read the factory token (install bubblewrap, or run the agent as root or with --engine-user)",
    );
  }
  // The engine shares this user and so writes config git reads: the agent's git runs in the sandbox too (agent/git).
  runGitInSandbox(sandbox);
  removeInSandbox(sandbox); // and so does its removal of their trees: a link swapped in mid-walk leads nowhere it guards
  await sweepNeutralDirs(Date.now()); // a killed agent's checkpoint left its empty git dir in the temp dir
  // The operator's engines that cannot start now are withdrawn, said and looked at again (agent/engine-unavailable).
  const table = withUnavailable(profile, cfg.engines, engineProbe(cfg.workDir, engineUser));
  return new Supervisor({
    cfg,
    out,
    engines: table.engines,
    unavailableEngines: table.unavailable,
    engineUser,
    sandbox,
    hello: {
      capabilities: table.capabilities,
      seats: cfg.seats,
      engines: [...profile.engines.keys()].slice(0, 16),
      agentVersion: agentVersion(),
      ...(cfg.leaseTtlSeconds ? { leaseTtlSeconds: cfg.leaseTtlSeconds } : {}),
    },
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes("--json");
  let out = createOutput(json);
  // What a user types first to say which agent this is, as `gigafactory --version` (it was a usage error).
  if (argv.filter((w) => w !== "--json").join(" ") === "--version") {
    const version = agentVersion().split("/")[1];
    process.stdout.write(json ? `${JSON.stringify({ version })}\n` : `gigafactory-agent ${version}\n`);
    return EXIT.ok;
  }
  try {
    const { command, flags } = parseArgs(argv, { enroll: ENROLL_FLAGS, run: RUN_FLAGS });
    if (command === undefined || flags.help === true) {
      process.stdout.write(`${USAGE}\n`);
      return command === undefined && flags.help !== true ? EXIT.usage : EXIT.ok;
    }
    // Secrets of any shape this run was given: the printer hides them as literals, beyond the shapes it knows.
    const envToken = process.env.GIGAFACTORY_FACTORY_TOKEN;
    const secrets = [flags.token, flags.code, envToken, envToken?.trim()].filter(
      (s): s is string => typeof s === "string",
    );
    out = createOutput(flags.json === true, undefined, undefined, secrets);
    // A token on the command line is in /proc/<pid>/cmdline, which every local user can read: overwrite it.
    if (typeof flags.token === "string" || typeof flags.code === "string")
      process.title = `gigafactory-agent ${command ?? ""}`;
    const stateDir = stateDirFrom(flags, process.env, os.homedir());
    // The config file's token is one too (`run` uses it, `enroll` rewrites the file around it). Read once, here: an
    // explicit --config may be a pipe (agent/config-read); the state dir's own is read as a regular file only.
    const explicit = typeof flags.config === "string";
    const file = path.resolve(explicit ? (flags.config as string) : configPath(stateDir));
    const config = { file, read: readConfigText(file, !explicit) };
    const fileToken = storedToken(config.read);
    if (fileToken) out = createOutput(flags.json === true, undefined, undefined, [...secrets, fileToken]);
    if (command === "enroll") {
      await enrollCommand(flags, stateDir, out, process.env);
      return EXIT.ok;
    }
    return await runCommand(flags, stateDir, out, config);
  } catch (err) {
    if (err instanceof UsageError) {
      out.error("usage", err.message, "see `gigafactory-agent --help`", EXIT.usage);
      return EXIT.usage;
    }
    if (err instanceof FixableError) {
      out.error(err.code, err.message, err.fix, err.exitCode);
      return err.exitCode;
    }
    out.error(
      "internal",
      (err as Error).stack ?? String(err),
      "this is a bug in gigafactory-agent; please report it with the output above",
      EXIT.error,
    );
    return EXIT.error;
  }
}

process.exitCode = await main(process.argv.slice(2));
// Open handles (a socket closing, timers of a stopped engine) must not keep a finished agent alive, nor a git it ran.
exitAgent();
