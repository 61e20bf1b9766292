/**
 * @module agent/kept-links
 * The link between a kept repo workspace (agent/kept-workspaces) and its mirror, made safe against a crash. A repo
 * workspace is a worktree: its `.git` names an admin dir `<mirror>/worktrees/<name>`, whose `gitdir` names the
 * workspace back. Keeping moves the workspace from `jobs/<jobId>` to `kept/…`, and only then can git re-point the
 * admin dir (`worktree repair`). An agent killed in between left the kept dir naming an admin dir that names a path
 * gone: the next `worktree prune` there removed it, the job's next run here got the same name back (git names it
 * after the path's last part) — and the kept dir's git then worked on that live run's HEAD, index and branch.
 * So the keep's marker (`kept/<…>.json`, the agent's) says `linking` until the link is settled, and before any prune
 * of the mirror the agent settles every link still in that state (`pruneWorktrees`): re-pointed when the admin dir
 * is still the moved workspace's, else dropped (the files alone are kept). Mirrors are `<work-dir>/mirrors/<name>`,
 * so the markers are found from the mirror's path.
 */
import { existsSync, lstatSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { RunAs } from "./engine-user.ts";
import { replaceFile } from "./exclusive-file.ts";
import { git, gitOk } from "./git.ts";
import { readRegular } from "./regular-file.ts";
import { canonical } from "./work-dirs.ts";

/** Read a file an engine could have planted (agent/regular-file); kept here too, where agent/kept-workspaces names it. */
export { readRegular };

/** What the agent records beside a kept workspace (`<dir>.json`). */
export interface KeptMarker {
  jobId: string;
  /** When it was kept, ms since the epoch (agent/kept-workspaces' sweep). */
  keptAt: number;
  /** While the link to the mirror is not settled: the mirror, and where the workspace was moved from. */
  linking?: { mirror: string; from: string };
}

/**
 * The agent's record of when `dir` was kept, beside it in the agent's `kept/`: an engine user cannot write there, but
 * an engine in the sandbox is the agent's own user and can.
 */
export const markerOf = (dir: string) => `${dir}.json`;

/** Writes `dir`'s marker (mode 0644) exclusively: never through a link an engine planted at its path. */
export function writeMarker(dir: string, marker: KeptMarker): void {
  replaceFile(markerOf(dir), `${JSON.stringify(marker)}\n`, { mode: 0o644 });
}

/** The marker of `dir`, or undefined when it is missing or not one (agent/kept-workspaces reads it too). */
export function readMarker(dir: string): KeptMarker | undefined {
  try {
    const m = JSON.parse(readRegular(markerOf(dir)) ?? "") as KeptMarker;
    return typeof m === "object" && m !== null ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `dir`'s `.git` names an admin dir of `mirror` that is `dir`'s to take: naming `dir` back already, or still
 * naming `from` (the workspace moved to `dir`), where nothing is now. Anything else — the name given to another
 * worktree since, a link the engine rewrote — is not: re-pointing it would take that worktree's admin dir.
 */
function ownAdmin(dir: string, from: string, mirror: string): boolean {
  const gitdir = /^gitdir: (.+)$/m.exec(readRegular(path.join(dir, ".git")) ?? "")?.[1]?.trim();
  if (!gitdir) return false;
  const admin = canonical(path.resolve(dir, gitdir));
  if (path.dirname(admin) !== canonical(path.join(mirror, "worktrees"))) return false;
  const back = readRegular(path.join(admin, "gitdir"))?.trim();
  if (!back) return false;
  const named = canonical(path.resolve(admin, back));
  if (named === canonical(path.join(dir, ".git"))) return true;
  return named === canonical(path.join(from, ".git")) && !existsSync(named);
}

/**
 * Settle the link of `dir` (a repo workspace moved there from `from`) to `mirror`, as `as`: re-pointed (`worktree
 * repair`) and on a detached HEAD, so the job's next run can take the job's branch — true; or, when the admin dir is
 * not its own or git cannot, its `.git` link dropped and the files alone kept — false. Call holding the mirror's
 * lock. Never throws.
 */
export async function settleKeptLink(
  dir: string,
  from: string,
  mirror: string,
  as: RunAs | undefined,
): Promise<boolean> {
  try {
    if (ownAdmin(dir, from, mirror)) {
      await git(["worktree", "repair", "--", dir], { cwd: mirror, as });
      await git(["update-ref", "--no-deref", "HEAD", "HEAD"], { cwd: dir, as });
      return true;
    }
  } catch {
    /* git could not: the files alone are kept */
  }
  try {
    const link = path.join(dir, ".git");
    if (lstatSync(link, { throwIfNoEntry: false })?.isFile()) rmSync(link, { force: true });
  } catch {
    /* a link that cannot be removed now is settled at the next prune */
  }
  return false;
}

/**
 * Settle every kept workspace of `mirror` whose keep was cut short (its marker still `linking`); see the module doc.
 * Call holding the mirror's lock. Never throws.
 */
export async function repairKeptLinks(mirror: string, as: RunAs | undefined): Promise<void> {
  const root = path.join(path.dirname(path.dirname(mirror)), "kept");
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return; // nothing kept yet
  }
  for (const name of names.filter((n) => n.endsWith(".json"))) {
    const dir = path.join(root, name.slice(0, -".json".length));
    const marker = readMarker(dir);
    if (marker?.linking?.mirror !== mirror) continue;
    // No dir: the keep stopped before its move, and the workspace is still where it ran.
    if (existsSync(dir)) await settleKeptLink(dir, marker.linking.from, mirror, as);
    try {
      writeMarker(dir, { jobId: marker.jobId, keptAt: marker.keptAt });
    } catch {
      /* settled again (a no-op) at the next prune */
    }
  }
}

/** `git worktree prune` in `mirror`, every interrupted keep's link settled first; call holding its lock. */
export async function pruneWorktrees(mirror: string, as: RunAs | undefined): Promise<void> {
  await repairKeptLinks(mirror, as);
  await gitOk(["worktree", "prune"], { cwd: mirror, as });
}

/**
 * Remove the worktree registered at `dir` (a job's own path) from `mirror`, as `as`, whether or not `dir` is on disk
 * and even when locked: a `worktree add` killed mid-checkout (the agent's process tree SIGKILLed) leaves its
 * registration locked ("initializing"), which one `--force` and `worktree prune` both leave alone — and it keeps
 * the job's branch checked out, so every later `worktree add` of the job here failed. Every interrupted keep's link
 * is settled first: a workspace moved from `dir` may still be registered there. Call holding the mirror's lock.
 * Never throws (nothing registered there is the common case).
 */
export async function unregisterWorktree(mirror: string, dir: string, as: RunAs | undefined): Promise<void> {
  await repairKeptLinks(mirror, as);
  await gitOk(["worktree", "remove", "-f", "-f", "--", dir], { cwd: mirror, as });
}
