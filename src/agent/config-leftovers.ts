/**
 * @module agent/config-leftovers
 * Temporary files a killed agent left in its state dir. The config is written at `config.json.<pid>.tmp` and renamed
 * over `config.json` (agent/exclusive-file `replaceAtomically`), and so is enroll's nonce file
 * (`enroll-nonce.json.<pid>.tmp`, agent/enroll-nonce): a kill -9 between the write and the rename left the temporary
 * file — mode 0600, holding a factory token — in the state dir for ever, since every later write uses its own pid's
 * name. `run` and `enroll` remove them at start (`removeStaleConfigTemps`): only names of exactly that pattern, only
 * regular files, and only those of a pid that is not alive (one of a live process — another agent mid-write, or this
 * very one — is left alone).
 */
import { lstatSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { Output } from "./output.ts";

/** `config.json.<pid>.tmp` and `enroll-nonce.json.<pid>.tmp`: the temporary names of the state dir's own files. */
const TEMP_NAME = /^(?:config\.json|enroll-nonce\.json)\.([1-9][0-9]{0,9})\.tmp$/;

/** Whether process `pid` exists (EPERM: it does, another user's). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes from `stateDir` each regular file named `config.json.<pid>.tmp` or `enroll-nonce.json.<pid>.tmp` whose pid
 * is neither this process's nor `alive`. Returns the names removed. Never throws: an unreadable state dir, or a file
 * that cannot be removed, is left as it is (the caller's own checks of the dir say what is wrong with it).
 */
export function removeStaleConfigTemps(stateDir: string, alive: (pid: number) => boolean = pidAlive): string[] {
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(TEMP_NAME.exec(name)?.[1] ?? Number.NaN);
    if (!Number.isSafeInteger(pid) || pid === process.pid || alive(pid)) continue;
    const file = path.join(stateDir, name);
    try {
      if (!lstatSync(file).isFile()) continue; // a directory or link planted there: not a write of ours
      rmSync(file);
      removed.push(name);
    } catch {
      /* gone meanwhile, or not ours to remove */
    }
  }
  return removed;
}

/** `removeStaleConfigTemps` at `run`'s and `enroll`'s start, said when it removed any. */
export function sweepConfigTemps(stateDir: string, out: Pick<Output, "say">): void {
  const removed = removeStaleConfigTemps(stateDir);
  if (removed.length === 0) return;
  const why = "temporary config left by an agent killed mid-write (it held a token)";
  out.say("·", "state.leftovers_removed", `removed ${removed.join(", ")} from ${stateDir}: ${why}`, { removed });
}
