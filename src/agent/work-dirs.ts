/**
 * @module agent/work-dirs
 * The agent's own directories in the work dir: `jobs/` (workspaces, job text), `kept/` (agent/kept-workspaces),
 * `trash/` (agent/job-leftovers) and `mirrors/` (agent/workspace). The agent creates, renames into, removes from and
 * clones into them from outside the sandbox, so each must be the directory it names, not a link to a directory of an
 * engine's choosing: an engine (in the sandbox, the agent's own user) that swapped `trash` for a link to the state
 * dir had the agent's next emptying of "trash" delete the factory token's directory; `jobs` → the state dir had the
 * agent make it 0755 and prepare workspaces in it. So at start, before any engine runs, `prepareWorkDirs` refuses a
 * work dir or one of these that is a link (or not a directory) — never following it — creates the missing ones, and
 * answers the work dir's real path, which the agent uses from then on (a link on the way to it, in a parent an
 * engine can write, cannot lead the agent elsewhere mid-run). The sandbox then binds each onto itself
 * (agent/sandbox-mounts): a mount point cannot be renamed or removed (EBUSY), so an engine cannot swap them later.
 */
import { lstatSync, mkdirSync, readlinkSync, realpathSync, type Stats } from "node:fs";
import path from "node:path";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import { within } from "./sandbox-mounts.ts";

/** The agent's directories in the work dir, by name. */
export const WORK_SUBDIRS = ["jobs", "kept", "trash", "mirrors"] as const;

/** `workDir` and its WORK_SUBDIRS, in that order: what the sandbox binds onto itself. */
export function agentWorkDirs(workDir: string): string[] {
  return [workDir, ...WORK_SUBDIRS.map((name) => path.join(workDir, name))];
}

/** The FixableError (exit 2) for `dir`, a symbolic link where the agent keeps a directory of its own. */
function linkRefusal(dir: string, isWorkDir: boolean): FixableError {
  let target = "?";
  try {
    target = readlinkSync(dir);
  } catch {
    /* gone meanwhile: the message still names the path */
  }
  const what = `${dir} is a symbolic link (to ${target}), not a directory: an engine of an earlier run may have put it there, and the agent would create, move and delete files wherever it leads`;
  const remove = `remove the link (\`rm ${dir}\`; what it leads to is left as it is) and start the agent again`;
  return new FixableError(
    "work_dir_link",
    what,
    isWorkDir ? `${remove}, or, if you made it, pass its real path as --work-dir` : remove,
    EXIT_USAGE,
  );
}

/** The FixableError (exit 2) for a work dir the agent cannot create or use: `why` says what is wrong. */
function unusable(dir: string, why: string): FixableError {
  return new FixableError(
    "work_dir_unusable",
    `cannot use ${dir} as the agent's work dir: ${why}`,
    "pass a --work-dir this user can create, or remove what is in the way",
    EXIT_USAGE,
  );
}

/** What is at `dir`, never followed (undefined: nothing); throws the link refusal, or `unusable` when it cannot tell. */
function entry(dir: string, isWorkDir: boolean): Stats | undefined {
  let st: Stats | undefined;
  try {
    st = lstatSync(dir, { throwIfNoEntry: false });
  } catch (err) {
    throw unusable(dir, (err as Error).message); // EACCES on the way: the operator's to fix
  }
  if (st?.isSymbolicLink()) throw linkRefusal(dir, isWorkDir);
  return st;
}

/**
 * `dir` made a directory when missing (mode 0755; the work dir with its parents), after checking without following
 * it that what is there is a directory. Throws the refusals above.
 */
function ensureOwnDir(dir: string, isWorkDir: boolean): void {
  const st = entry(dir, isWorkDir);
  if (st && !st.isDirectory()) throw unusable(dir, "it is not a directory");
  if (st) return;
  try {
    mkdirSync(dir, { recursive: isWorkDir, mode: 0o755 });
  } catch (err) {
    throw unusable(dir, (err as Error).message);
  }
}

/**
 * Check and make the work dir and its WORK_SUBDIRS (see the module doc); call at start, before any engine runs.
 * Returns the work dir's real path (absolute, no links).
 * @throws FixableError (exit 2) `work_dir_link` — `workDir` or one of its WORK_SUBDIRS is a symbolic link (left as
 *   it is); `work_dir_unusable` — one is not a directory, or cannot be created; `work_dir_in_state_dir` — the work
 *   dir's real path and `stateDir`'s overlap (a link on the way led one into the other)
 */
export function prepareWorkDirs(workDir: string, stateDir: string): string {
  entry(workDir, true);
  // Checked before anything is made: never a directory made in the state dir.
  const real = canonical(workDir);
  const state = canonical(stateDir);
  if (within(state, real) || within(real, state)) {
    throw new FixableError(
      "work_dir_in_state_dir",
      `the work dir ${workDir} (really ${real}) and the state dir ${stateDir} (really ${state}) overlap: engines work in the one, the factory token lives in the other`,
      "pass a --work-dir outside the state dir, whose path leads through no link into it",
      EXIT_USAGE,
    );
  }
  ensureOwnDir(real, true);
  for (const name of WORK_SUBDIRS) ensureOwnDir(path.join(real, name), false);
  return real;
}

/**
 * `p` absolute, with its longest existing ancestor resolved to its real path (the rest does not exist yet): how the
 * agent compares paths an engine may have reached through links (git writes real paths; a path gone has none).
 */
export function canonical(p: string): string {
  const abs = path.resolve(p);
  for (let dir = abs, rest = ""; ; rest = path.join(path.basename(dir), rest), dir = path.dirname(dir)) {
    try {
      return path.join(realpathSync(dir), rest);
    } catch {
      if (dir === path.dirname(dir)) return abs;
    }
  }
}

/**
 * `cfg` with its work dir checked and made (`prepareWorkDirs`) and on its real path from now on, and the checkpoint
 * remote with it when it lies inside (the default, `<work-dir>/checkpoints.git`). Throws what `prepareWorkDirs` throws.
 */
export function onRealWorkDir<T extends { workDir: string; stateDir: string; checkpointRemote: string }>(cfg: T): T {
  const real = prepareWorkDirs(cfg.workDir, cfg.stateDir);
  const inside = within(cfg.workDir, cfg.checkpointRemote);
  const remote = inside ? path.join(real, path.relative(cfg.workDir, cfg.checkpointRemote)) : cfg.checkpointRemote;
  return { ...cfg, workDir: real, checkpointRemote: remote };
}
