/**
 * @module agent/kept-workspaces
 * A workspace whose final checkpoint failed holds the engine's last work in no commit (agent/seat-runner reports
 * `job.work_not_captured`, a retryable failure): it is kept for the operator instead of discarded, and the warning,
 * the job log and a `workspace.kept` line name where. What an operator would expect, and so what is done:
 * - Out of the job's way, at `<work-dir>/kept/<jobId>-e<epoch>`: the retry comes after a few seconds' backoff and
 *   may well land on this host again, whose preparation replaces whatever is at the job's own path (`jobs/<jobId>`,
 *   which the orphan-engine check also relies on). Kept in place, the work would be gone by the time anyone looked.
 * - Still a git work tree where git allows: a scratch workspace is its own repository and moves as is; a repo
 *   workspace is a worktree of the shared mirror, re-pointed there (`git worktree repair`) and put on a detached
 *   HEAD, so the retry can take the job's branch again. When git cannot (its git is often what failed), the `.git`
 *   link is dropped and the files alone are kept: left behind, it would point at the next run's worktree once the
 *   mirror reuses the name. An agent killed mid-keep has the link settled so later (agent/kept-links).
 * - Bounded: each is removed KEPT_FOR_MS after it was kept, by the sweep the supervisor runs after every `welcome`
 *   (with agent/orphans' reaping); a repo workspace's registration in its mirror is pruned by the next preparation
 *   there. With `--keep-workspaces` every workspace stays where it ran instead, as before.
 */
import { lstatSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { type RunAs, sharedDir } from "./engine-user.ts";
import { gitOk } from "./git.ts";
import { markerOf, pruneWorktrees, readMarker, settleKeptLink, writeMarker } from "./kept-links.ts";
import type { Output } from "./output.ts";
import { type Workspace, withMirrorLock } from "./workspace.ts";
import { removeWorkTree } from "./workspace-removal.ts";

/** 3 days: over a weekend, for an operator who sees the warning on Monday; a workspace can be large. */
export const KEPT_DAYS = 3;
/** KEPT_DAYS in ms. */
export const KEPT_FOR_MS = KEPT_DAYS * 86_400_000;
/**
 * At most this many kept at once, the newest: a host whose final checkpoints keep failing (a full disk, a broken
 * git) would otherwise keep a whole workspace per failed lease for days, and fill the disk it is short of.
 */
export const KEPT_MAX = 8;

/** Where the workspace of `jobId`'s lease `leaseEpoch` is kept: `<work-dir>/kept/<jobId>-e<epoch>`. */
export function keptDir(workDir: string, jobId: string, leaseEpoch: number): string {
  return path.join(workDir, "kept", `${jobId}-e${leaseEpoch}`);
}

export interface Kept {
  dir: string;
  /** False when only the files were kept: the repo workspace's link to its mirror could not be repaired. */
  linked: boolean;
}

/**
 * Move `ws` (its run over) to `keptDir`, recording `now` (ms since the epoch) for the sweep; see the module doc.
 * Throws what node:fs throws when the directory cannot be moved: it is then left where it is.
 */
export async function keepWorkspace(ws: Workspace, workDir: string, now: number): Promise<Kept> {
  const dir = keptDir(workDir, ws.jobId, ws.leaseEpoch);
  sharedDir(path.dirname(dir));
  await removeWorkTree(dir, ws.owner); // a leftover of the same lease (one run per lease): never two to tell apart
  const mirror = ws.mirror;
  const marker = { jobId: ws.jobId, keptAt: now };
  const move = async (): Promise<Kept> => {
    // Says `linking` before the move: an agent killed before the link is settled has it settled at the mirror's
    // next prune, before the name its admin dir has can be given to another worktree (agent/kept-links).
    writeMarker(dir, mirror ? { ...marker, linking: { mirror, from: ws.dir } } : marker);
    try {
      // The agent moves it: `jobs/` and `kept/` are its own, so the engine's user could not (and cannot swap them).
      renameSync(ws.dir, dir);
    } catch (err) {
      rmSync(markerOf(dir), { force: true });
      throw err;
    }
    if (!mirror) return { dir, linked: true };
    const linked = await settleKeptLink(dir, ws.dir, mirror, ws.owner);
    writeMarker(dir, marker);
    if (!linked) await pruneWorktrees(mirror, ws.owner);
    // As discardWorkspace: the job's branch and resume ref are the next run's to make.
    const opts = { cwd: mirror, as: ws.owner };
    await gitOk(["branch", "-D", "--", `gf/${ws.jobId}`], opts);
    await gitOk(["update-ref", "-d", `refs/gf/resume/${ws.jobId}`], opts);
    return { dir, linked };
  };
  // A repo workspace moves holding its mirror's lock: no preparation here prunes its registration mid-move.
  return mirror ? withMirrorLock(mirror, move) : move();
}

/**
 * When the marker of `dir` says it was kept (ms since the epoch); a marker it cannot parse — or not a regular file:
 * `kept/` is writable in the sandbox, and a FIFO there blocked the sweep's read (agent/kept-links `readRegular`) — by
 * its own mtime, never following a link.
 */
function keptAt(dir: string): number | undefined {
  const at = readMarker(dir)?.keptAt;
  return typeof at === "number" ? at : lstatSync(markerOf(dir), { throwIfNoEntry: false })?.mtimeMs;
}

/**
 * Remove every workspace under `<workDir>/kept` kept KEPT_FOR_MS or more before `now` (ms since the epoch), and
 * the oldest past the newest KEPT_MAX, as
 * `owner` (the engine's user, whose files they are), each told to the operator (`workspace.kept_removed`). Returns
 * their paths. Never throws: what cannot be read or removed now is tried again at the next sweep.
 */
export async function sweepKeptWorkspaces(
  workDir: string,
  owner: RunAs | undefined,
  now: number,
  out: Pick<Output, "say">,
): Promise<string[]> {
  const root = path.join(workDir, "kept");
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const kept = names
    .filter((n) => n.endsWith(".json"))
    .map((n) => ({ marker: path.join(root, n), at: keptAt(path.join(root, n.slice(0, -".json".length))) }))
    .filter((k): k is { marker: string; at: number } => k.at !== undefined)
    .sort((a, b) => b.at - a.at); // newest first: past KEPT_MAX, the oldest go
  const removed: string[] = [];
  for (const [i, { marker, at }] of kept.entries()) {
    const expired = now - at >= KEPT_FOR_MS;
    if (!expired && i < KEPT_MAX) continue;
    const dir = marker.slice(0, -".json".length);
    await removeWorkTree(dir, owner);
    rmSync(marker, { force: true });
    removed.push(dir);
    const why = expired ? `kept ${KEPT_DAYS} days` : `${KEPT_MAX} newer ones are kept`;
    out.say("·", "workspace.kept_removed", `removed ${dir}: ${why} after its final checkpoint failed`, { dir });
  }
  return removed;
}

/**
 * Keep `ws`, whose final checkpoint failed, for the operator (`keepWorkspace` now), say where (`workspace.kept`),
 * and sweep so never more than KEPT_MAX stay. Never throws: a workspace that cannot be moved is left where it ran.
 */
export async function keepForOperator(ws: Workspace, workDir: string, say: Output["say"]): Promise<void> {
  try {
    const kept = await keepWorkspace(ws, workDir, Date.now());
    const files = kept.linked ? "" : " (its files only: git could not link it to its mirror again)";
    const text = `${ws.jobId} workspace kept at ${kept.dir}${files}, removed after ${KEPT_DAYS} days`;
    say("⚠", "workspace.kept", text, { dir: kept.dir, linked: kept.linked });
    await sweepKeptWorkspaces(workDir, ws.owner, Date.now(), { say });
  } catch (err) {
    const text = `${ws.jobId} workspace left at ${ws.dir}, not moved aside (${(err as Error).message}): the job's next run here replaces it`;
    say("⚠", "workspace.kept", text, { dir: ws.dir, linked: true });
  }
}
