/**
 * @module agent/mirror-clone
 * A repository's first clone on this host (agent/workspace keeps one bare mirror per repository), all or nothing.
 * `git clone` writes the new repository's HEAD — naming git's own default branch, not the repository's — before it
 * fetches a thing, and agent/workspace takes a mirror with a HEAD as complete. So a clone cut short where it ran (the
 * agent's process tree SIGKILLed: a reboot, the OOM killer, systemd's final kill) left a mirror whose every later
 * preparation failed "has no commits on master", for every job of that repository, until an operator deleted it.
 * Here the clone goes to a sibling of its own (`<mirror>.part-<pid>-<random>`) and is renamed into place once
 * complete; what a killed clone left is removed by the next clone of the same repository, once its process is gone.
 * Two agents sharing a work dir may clone the same repository at once: the first rename wins, the other clone is
 * dropped and the winner's mirror used.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, renameSync } from "node:fs";
import path from "node:path";
import { pidAlive } from "../shared/pid-lock.ts";
import { ownedDir, type RunAs } from "./engine-user.ts";
import { gitRemote } from "./git-remote.ts";
import { removeWorkTree } from "./workspace-removal.ts";

/** Marks a clone in progress beside its mirror, `<mirror>.part-<pid>-<random>`: the pid says whether it still runs. */
const PART = ".part-";

/**
 * Remove the partial clones of `mirror` whose cloning process is gone: this one's own too (two clones of one mirror
 * in this process never overlap: agent/workspace holds the mirror's lock), never another live agent's.
 */
async function removeDeadParts(mirror: string, as: RunAs | undefined): Promise<void> {
  const prefix = `${path.basename(mirror)}${PART}`;
  let names: string[];
  try {
    names = readdirSync(path.dirname(mirror));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split("-")[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) continue;
    await removeWorkTree(path.join(path.dirname(mirror), name), as);
  }
}

/**
 * Make `mirror` a complete bare clone of `repo`, as `as` (its owner); call with the mirror's lock held, when it has
 * no HEAD; `env` for git, what reading `repo` needs (agent/local-trust). Throws GitError when the clone fails (and
 * no other agent's clone took its place meanwhile).
 */
export async function cloneMirror(
  repo: string,
  mirror: string,
  as: RunAs | undefined,
  env: Record<string, string> = {},
): Promise<void> {
  ownedDir(path.dirname(mirror), as);
  await removeDeadParts(mirror, as);
  // Whatever is there has no HEAD: a leftover, not a repository (unless another agent's clone just landed).
  if (!existsSync(path.join(mirror, "HEAD"))) await removeWorkTree(mirror, as);
  const part = `${mirror}${PART}${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await gitRemote(["clone", "--bare", "-q", "--", repo, part], { as, env });
    // Onto a mirror another agent's clone put there meanwhile, the rename fails (ENOTEMPTY): theirs is kept.
    renameSync(part, mirror);
  } catch (err) {
    await removeWorkTree(part, as);
    if (!existsSync(path.join(mirror, "HEAD"))) throw err;
  }
}
