/**
 * @module agent/job-leftovers
 * What a run leaves on this host when its agent did not end it: killed (`kill -9`, a crash, a reboot) mid-run, then
 * restarted after its lease was gone. Its seat's `cleanup` never ran, so the workspace (`<work-dir>/jobs/<jobId>`,
 * a whole checkout), the job text beside it (`<jobId>.job.md`, the lessons file) and the job log in the state dir
 * stayed for good — a host that crashes now and then filled its disk with them, and kept job text the job no longer
 * needs. agent/orphans calls `removeJobLeftovers` once nothing of the run's engine runs (never before: the engine
 * would lose its cwd mid-write, or a live one would keep writing into a tree being deleted).
 *
 * The workspace is first moved into `<work-dir>/trash/` (a rename: at once, on the same filesystem), then deleted in
 * the background as its owner (agent/workspace-removal `removeWorkTree`, read-only directories an engine left too):
 * the same job leased here again meanwhile prepares a fresh `jobs/<jobId>`, which the slow delete never reaches. The run's branch and refs in its repository's mirror go
 * too (agent/job-refs), unless the job is back here. `trash/` is emptied after every `welcome` too, so a
 * delete a crash cut short is finished later. With `--keep-workspaces` the operator keeps them all: nothing is done.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { type RunAs, sharedDir } from "./engine-user.ts";
import { forgetJobRefs } from "./job-refs.ts";
import { lessonsFileFor } from "./lessons-file.ts";
import { trustFileFor } from "./local-trust.ts";
import { jobDir } from "./workspace.ts";
import { removeWorkTree } from "./workspace-removal.ts";

/** Where a run's leftovers are on this host, and who owns its workspace. */
export interface LeftoverPlaces {
  workDir: string;
  stateDir: string;
  /** The engine user (agent/engine-user) who owns workspaces; undefined = the agent. */
  owner?: RunAs;
}

/** The agent's directory of workspaces being deleted: under the work dir, so a move into it is a rename. */
export function trashDir(workDir: string): string {
  return path.join(workDir, "trash");
}

/**
 * Remove what the run of `jobId`, attempt `attempt`, left: its job text and job log now, its workspace moved aside
 * now and deleted in the background, and then its branch and refs in the repository's mirror (agent/job-refs; the
 * promise resolves once they are gone). Never throws or rejects (a file that cannot go is left; the disk is the
 * operator's).
 */
export function removeJobLeftovers(places: LeftoverPlaces, jobId: string, attempt: number): Promise<void> {
  const ws = jobDir(places.workDir, jobId);
  const quietly = (f: () => void) => {
    try {
      f();
    } catch {
      /* already gone, or not ours to remove */
    }
  };
  // The job text, and the trust a preparation killed mid-clone left (agent/local-trust).
  const besides = [`${ws}.job.md`, lessonsFileFor(`${ws}.job.md`), trustFileFor(ws)];
  for (const file of besides) quietly(() => rmSync(file, { force: true }));
  const log = path.join(places.stateDir, "logs", `${jobId}-a${attempt}.log`);
  for (const file of [log, `${log}.1`]) quietly(() => rmSync(file, { force: true }));
  const trash = trashDir(places.workDir);
  const aside = path.join(trash, `${path.basename(ws)}-${randomBytes(4).toString("hex")}`);
  quietly(() => {
    sharedDir(trash);
    renameSync(ws, aside);
    void removeWorkTree(aside, places.owner).catch(() => undefined);
  });
  return forgetJobRefs(places.workDir, jobId, places.owner).then(
    () => undefined,
    () => undefined,
  );
}

/** The emptying of `trash/` under way in this process, by work dir: a welcome while one runs starts no second. */
const emptying = new Map<string, Promise<void>>();

/**
 * Delete whatever is in `trash/` (deletes a crash cut short), one entry after another, in the background: each is
 * a process (`rm` in the sandbox, or as the engine user), and `trash/` is writable in the sandbox — an engine that
 * filled it with thousands of entries had the agent start thousands of processes at once at the next welcome.
 * Resolves once done (callers need not wait); never rejects: what cannot go is left for the next welcome.
 */
export function emptyTrash(places: LeftoverPlaces): Promise<void> {
  const trash = trashDir(places.workDir);
  const running = emptying.get(trash);
  if (running) return running;
  let names: string[];
  try {
    names = readdirSync(trash);
  } catch {
    return Promise.resolve(); // none yet
  }
  const done = (async () => {
    for (const name of names) await removeWorkTree(path.join(trash, name), places.owner).catch(() => undefined);
  })().finally(() => emptying.delete(trash));
  emptying.set(trash, done);
  return done;
}
