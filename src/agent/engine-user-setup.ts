/**
 * @module agent/engine-user-setup
 * `run`'s start-up step for an engine user (agent/engine-user): the user resolved, its HOME and the shared work dir
 * prepared, and every engine command checked reachable by it — before anything connects, so what the operator must
 * fix is said at once, not at the first job.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import { findOnPath, hostPathLookup } from "./capabilities.ts";
import { splitCommand } from "./command-template.ts";
import { defaultWorkDir, type RunConfig } from "./config.ts";
import { engineAccessProblem, engineHome, type RunAs, resolveEngineUser, sharedDir } from "./engine-user.ts";

/** The engine user (agent/engine-user) with its HOME and a work dir it can use, or a FixableError (exit 2): why not. */
export function prepareEngineUser(cfg: RunConfig, engines: ReadonlyMap<string, string>): RunAs | undefined {
  const user = resolveEngineUser(cfg.engineUserName, process.getuid?.() ?? -1);
  if (!user) return undefined;
  let home: string;
  try {
    sharedDir(cfg.workDir);
    home = engineHome(user, cfg.workDir);
  } catch (err) {
    // The work dir is the operator's (`--work-dir`, the config file, beside --state-dir): not a bug of ours.
    throw new FixableError(
      "work_dir_unusable",
      `cannot prepare the work dir ${cfg.workDir} for ${user.name}: ${(err as Error).message}`,
      "pass a --work-dir this user (root) can create",
      EXIT_USAGE,
    );
  }
  const problem = engineAccessProblem(user, cfg.workDir, engineCommands(engines));
  if (problem) throw engineAccessRefusal(user.name, problem);
  return { ...user, home };
}

/** The engines' commands as found on PATH ("" for one that is not: only a found, absolute one is probed). */
function engineCommands(engines: ReadonlyMap<string, string>): string[] {
  return [...engines.values()].map((t) => findOnPath(splitCommand(t)[0] as string, hostPathLookup()) ?? "");
}

/** The one refusal of an engine user that cannot work: `run`'s at start-up, and `enroll`'s before the code is spent. */
function engineAccessRefusal(user: string, problem: string): FixableError {
  return new FixableError(
    "engine_user_access",
    problem,
    `make it reachable by ${user} (e.g. --work-dir /var/lib/gigafactory-agent/work), or pass --engine-user`,
    EXIT_USAGE,
  );
}

/**
 * `enroll`'s look ahead at what `run` (the line it prints: no flags but --state-dir) will check of the engine user
 * (`prepareEngineUser`), with nothing made: the user from the config file's `engineUser` (else `nobody` under root),
 * the work dir from its `workDir` (else beside the state dir: config `defaultWorkDir`); not made yet, its nearest
 * existing parent is probed (`run` makes the rest 0755). A root install with its state in /root (mode 0700) enrolled,
 * spent its one-time code, and then `run` refused it. The engines are `run`'s to check: its --engine may name others.
 * @throws FixableError engine_user_access (exit 2), as `run` would; engine_user for a user that cannot be one
 */
export function assertEngineUserCanWork(
  file: { engineUser?: string | undefined; workDir?: string | undefined },
  stateDir: string,
): void {
  const user = resolveEngineUser(file.engineUser, process.getuid?.() ?? -1);
  if (!user) return;
  const workDir = path.resolve(file.workDir ?? defaultWorkDir(stateDir));
  let made = workDir;
  while (!existsSync(made) && path.dirname(made) !== made) made = path.dirname(made);
  const problem = engineAccessProblem(user, workDir, [], undefined, made);
  if (problem) throw engineAccessRefusal(user.name, problem);
}
