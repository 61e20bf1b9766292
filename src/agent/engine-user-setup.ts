/**
 * @module agent/engine-user-setup
 * `run`'s start-up step for an engine user (agent/engine-user): the user resolved, its HOME and the shared work dir
 * prepared, and every engine command checked reachable by it — before anything connects, so what the operator must
 * fix is said at once, not at the first job.
 */
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import { findOnPath, hostPathLookup } from "./capabilities.ts";
import { splitCommand } from "./command-template.ts";
import type { RunConfig } from "./config.ts";
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
  const commands = [...engines.values()].map((t) => findOnPath(splitCommand(t)[0] as string, hostPathLookup()) ?? "");
  const problem = engineAccessProblem(user, cfg.workDir, commands);
  if (problem) {
    throw new FixableError(
      "engine_user_access",
      problem,
      `make it reachable by ${user.name} (e.g. --work-dir /var/lib/gigafactory-agent/work), or pass --engine-user`,
      EXIT_USAGE,
    );
  }
  return { ...user, home };
}
