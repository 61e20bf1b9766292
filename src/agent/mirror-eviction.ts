/**
 * @module agent/mirror-eviction
 * A bound on the repository mirrors a host keeps (`<work-dir>/mirrors`, one full bare clone per repository,
 * agent/workspace). They were never removed: every repository a job ever named stayed on disk for good — and a job's
 * `repo` is the submitter's to choose, so a stream of jobs naming one large repository under ever new spellings
 * (`…/app.git`, `…/app`, `…/app.git/`, another user name) filled each factory's disk with one clone of it per
 * spelling, never reclaimed. After each new clone the least recently used mirrors past MIRRORS_MAX are removed —
 * never one a job is using: held by a preparation in this process (its lock), or with a worktree still on disk (a
 * job running from it, here or in another agent sharing the work dir).
 * "Used" is the mirror directory's mtime, which agent/workspace sets on every preparation from it.
 * Both the mark and the reading of it are of the directory itself, never through a link: `mirrors/` is writable by
 * the engines that run from it, and a link planted at a mirror's name had the agent (root, with an engine user) set
 * the times of whatever it named, and ranked by its target's age it pushed a real mirror out in its place. Such a link
 * is no mirror: it is removed (the link itself, inside the sandbox in sandbox mode, as agent/mirror-ready does).
 */
import { closeSync, constants, existsSync, futimesSync, lstatSync, openSync, readdirSync, type Stats } from "node:fs";
import path from "node:path";
import type { RunAs } from "./engine-user.ts";
import { mirrorIsDir } from "./mirror-head.ts";
import { otherWorktreesLive } from "./mirror-hygiene.ts";
import { removeWorkTree } from "./workspace-removal.ts";

/**
 * 24: more repositories than a host's jobs work on in turn (each preparation past it would clone afresh), yet few
 * enough full clones that a host's disk holds them.
 */
export const MIRRORS_MAX = 24;

/** A mirror's directory name (agent/workspace `mirrorName`): `<name>-<12 hex>.git`; never a clone in progress. */
export const MIRROR_NAME = /-[0-9a-f]{12}\.git$/;

/** The mirror directory opened as itself: a link at its path fails (ELOOP, ENOTDIR), never followed. */
const DIR_NO_FOLLOW = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * Record that `mirror` was used at `now` (ms since the epoch), through a descriptor of the directory itself: a link at
 * its path is left as it is. Never throws: the order is a hint, not a guarantee.
 */
export function markMirrorUsed(mirror: string, now: number): void {
  let fd: number | undefined;
  try {
    fd = openSync(mirror, DIR_NO_FOLLOW);
    futimesSync(fd, now / 1000, now / 1000);
  } catch {
    /* a mirror whose time cannot be set is merely evicted earlier; a link is no mirror (evictMirrors removes it) */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** What agent/workspace lends this module: its per-mirror lock, and whether a mirror's lock is held or waited on. */
export interface MirrorLocks {
  busy: (mirror: string) => boolean;
  run: <T>(mirror: string, fn: () => Promise<T>) => Promise<T>;
}

/**
 * Remove the least recently used mirrors in `dir` until at most MIRRORS_MAX (`max`) are left, as `as` (their
 * owner); one in use stays (and counts), the next oldest goes instead. Returns the paths removed. Call holding no
 * mirror's lock (each removal takes the mirror's, so a preparation never finds one half removed). Never throws.
 */
export async function evictMirrors(
  dir: string,
  as: RunAs | undefined,
  locks: MirrorLocks,
  max: number = MIRRORS_MAX,
): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => MIRROR_NAME.test(n));
  } catch {
    return [];
  }
  const entries = names.map((n) => ({ mirror: path.join(dir, n), st: lstatOrUndefined(path.join(dir, n)) }));
  // Not a directory (a link an engine planted, a file): no mirror, so it neither counts nor is ranked by its target.
  for (const { mirror, st } of entries) if (st && !st.isDirectory()) await removeNonMirror(mirror, as, locks);
  const byUse = entries
    .flatMap(({ mirror, st }) => (st?.isDirectory() ? [{ mirror, used: st.mtimeMs }] : []))
    .sort((a, b) => a.used - b.used); // oldest first: they go until no more than `max` are left
  const removed: string[] = [];
  let excess = byUse.length - max;
  for (const { mirror } of byUse) {
    if (excess <= 0) break;
    // Checked and queued in one turn: a preparation that comes later waits for the removal, then clones afresh.
    if (locks.busy(mirror)) continue;
    const gone = await locks
      .run(mirror, async () => {
        // Swapped for a link since the listing: the link goes (never what it names), and the mirror is gone anyway.
        if (mirrorIsDir(mirror) && (await inUse(mirror, as))) return false;
        await removeWorkTree(mirror, as);
        return true;
      })
      .catch(() => false);
    if (!gone) continue; // in use: it counts, and the next oldest goes instead
    removed.push(mirror);
    excess -= 1;
  }
  return removed;
}

/** What is at `p`, never followed; undefined when nothing is or it cannot be read (this module never throws). */
function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** Remove `entry` (a link or file at a mirror's name: never followed), under its lock as a mirror's removal is. */
async function removeNonMirror(entry: string, as: RunAs | undefined, locks: MirrorLocks): Promise<void> {
  if (locks.busy(entry)) return; // a preparation replaces it itself (agent/mirror-ready)
  await locks
    .run(entry, async () => {
      if (!mirrorIsDir(entry)) await removeWorkTree(entry, as);
    })
    .catch(() => undefined);
}

/** Whether a job works from `mirror`: a worktree of it still on disk (a question git cannot answer: in use). */
async function inUse(mirror: string, as: RunAs | undefined): Promise<boolean> {
  if (!existsSync(path.join(mirror, "HEAD"))) return false; // not a repository: a leftover
  return otherWorktreesLive(mirror, as).catch(() => true);
}
