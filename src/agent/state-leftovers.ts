/**
 * @module agent/state-leftovers
 * Temporary files a killed agent left in its state dir. Every file the agent replaces there is written at
 * `<file>.<pid>.tmp` and renamed over `<file>` (agent/exclusive-file `replaceAtomically`): the config
 * (`config.json`), enroll's nonce file (`enroll-nonce.json`, agent/enroll-nonce) and each job's record
 * (`jobs/<job>.json`, agent/state `JobRecords`). A kill -9 between the write and the rename left the temporary file —
 * mode 0600, a config's holding a factory token — for ever, since every later write uses its own pid's name. `run`
 * and `enroll` remove them at start (`removeStaleTemps`): only names of exactly those patterns, only regular files,
 * and only those of a pid that is not alive (one of a live process — another agent mid-write, or this very one — is
 * left alone).
 */
import { lstatSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { pidAlive } from "../shared/pid-lock.ts";
import type { Output } from "./output.ts";

/** `config.json.<pid>.tmp` and `enroll-nonce.json.<pid>.tmp`: the temporary names of the state dir's own files. */
const CONFIG_TEMP = /^(?:config\.json|enroll-nonce\.json)\.([1-9][0-9]{0,9})\.tmp$/;
/** `<job>.json.<pid>.tmp` in `jobs/`: a job record's (its name as agent/state `JobRecords` makes it). */
const RECORD_TEMP = /^[A-Za-z0-9_-]+\.json\.([1-9][0-9]{0,9})\.tmp$/;

/** Where the temporary files lie: each directory under the state dir (`""`: itself) and its names' pattern. */
const PLACES: ReadonlyArray<{ dir: string; name: RegExp }> = [
  { dir: "", name: CONFIG_TEMP },
  { dir: "jobs", name: RECORD_TEMP },
];

/**
 * Removes each regular file of `stateDir` named `config.json.<pid>.tmp` or `enroll-nonce.json.<pid>.tmp`, and of
 * `stateDir/jobs` named `<job>.json.<pid>.tmp`, whose pid is neither this process's nor `alive`. Returns the paths
 * removed, relative to `stateDir` (`config.json.123.tmp`, `jobs/job_1.json.123.tmp`). Never throws: an unreadable
 * directory, or a file that cannot be removed, is left as it is (the caller's own checks of the dir say what is wrong
 * with it).
 */
export function removeStaleTemps(stateDir: string, alive: (pid: number) => boolean = pidAlive): string[] {
  const removed: string[] = [];
  for (const place of PLACES) {
    let names: string[];
    try {
      names = readdirSync(path.join(stateDir, place.dir));
    } catch {
      continue;
    }
    for (const name of names) {
      const pid = Number(place.name.exec(name)?.[1] ?? Number.NaN);
      if (!Number.isSafeInteger(pid) || pid === process.pid || alive(pid)) continue;
      const relative = path.join(place.dir, name);
      try {
        if (!lstatSync(path.join(stateDir, relative)).isFile()) continue; // a directory or link planted there: not ours
        rmSync(path.join(stateDir, relative));
        removed.push(relative);
      } catch {
        /* gone meanwhile, or not ours to remove */
      }
    }
  }
  return removed;
}

/** `removeStaleTemps` at `run`'s and `enroll`'s start, said when it removed any. */
export function sweepStateTemps(stateDir: string, out: Pick<Output, "say">): void {
  const removed = removeStaleTemps(stateDir);
  if (removed.length === 0) return;
  const configs = removed.some((name) => CONFIG_TEMP.test(name));
  const records = removed.some((name) => !CONFIG_TEMP.test(name));
  const what = [configs ? "temporary config" : "", records ? "temporary job records" : ""].filter(Boolean);
  const why = `${what.join(" and ")} left by an agent killed mid-write${configs ? " (it held a token)" : ""}`;
  out.say("·", "state.leftovers_removed", `removed ${removed.join(", ")} from ${stateDir}: ${why}`, { removed });
}
