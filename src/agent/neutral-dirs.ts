/**
 * @module agent/neutral-dirs
 * The empty git dirs a checkpoint's staging asks `check-ignore` in (agent/embedded-repos: no `info/exclude`, no
 * config), made under the temp dir, and the sweep of those a killed agent left there. Each staging removes its own
 * when it ends; an agent SIGKILLed mid-checkpoint (the OOM killer, `kill -9`, a host's stop) left it in the temp dir
 * for good, one per killed checkpoint. They cannot live in the state dir, where start-up clean-up runs: it is hidden
 * from the sandbox that git runs in and closed (0700) to an engine user, and git reads this dir as either.
 * So each is named for the process that made it, `gf-no-exclude-<pid>-XXXXXX`, and the agent's start removes those
 * of processes that are gone. What it removes is safe to remove: only this name, only a directory (never a link, never
 * followed), only one this user owns (root's agent never touches another user's agent's), and only when the process
 * named is gone — or, for a name without a pid (agents before this one), when it is a day old: a staging lasts
 * minutes. In sandbox mode it is removed inside the sandbox (agent/workspace-removal), as engine-writable trees are.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pidAlive } from "../shared/pid-lock.ts";
import { removeWorkTree } from "./workspace-removal.ts";

const PREFIX = "gf-no-exclude-";

/** This agent's names (`<pid>-` then mkdtemp's 6 characters), and older agents' (mkdtemp's 6 characters alone). */
const WITH_PID = /^gf-no-exclude-(\d+)-[A-Za-z0-9]{6}$/;
const WITHOUT_PID = /^gf-no-exclude-[A-Za-z0-9]{6}$/;

/** 24 h, ms: a neutral dir with no pid in its name older than this is no staging's (one lasts minutes). */
export const UNNAMED_STALE_MS = 24 * 3_600_000;

/**
 * A git dir with nothing in it — no `info/exclude`, no config — under the temp dir (mode 0755: an engine user reads
 * it, cannot write it), named for this process. Throws what node:fs throws.
 */
export function neutralGitDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), `${PREFIX}${process.pid}-`));
  mkdirSync(path.join(dir, "objects"));
  mkdirSync(path.join(dir, "refs"));
  writeFileSync(path.join(dir, "HEAD"), "ref: refs/heads/none\n");
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * Remove the neutral dirs in `tmp` (default: the temp dir) that killed agents of this user left (see the module doc);
 * `now` ms since the epoch. Call at the agent's start, before any checkpoint: a dir named for this very pid is then
 * an earlier process's (a pid reused, as in a container). Returns the paths removed. Never throws.
 */
export async function sweepNeutralDirs(now: number, tmp: string = tmpdir()): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(tmp).filter((n) => n.startsWith(PREFIX));
  } catch {
    return [];
  }
  const uid = process.getuid?.();
  const removed: string[] = [];
  for (const name of names) {
    const dir = path.join(tmp, name);
    try {
      const st = lstatSync(dir, { throwIfNoEntry: false });
      if (!st?.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      const pid = WITH_PID.exec(name)?.[1];
      const stale =
        pid !== undefined
          ? Number(pid) === process.pid || !pidAlive(Number(pid))
          : WITHOUT_PID.test(name) && now - st.mtimeMs > UNNAMED_STALE_MS;
      if (!stale) continue;
      await removeWorkTree(dir, undefined);
      removed.push(dir);
    } catch {
      /* left for the next start */
    }
  }
  return removed;
}
