/**
 * @module agent/fresh-job-dir
 * A job's directory (`jobs/<id>`), made afresh at each preparation (agent/workspace), given to the workspace owner.
 */
import { closeSync, constants, fchownSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";
import { type RunAs, sharedDir } from "./engine-user.ts";

/**
 * An empty directory for the job's files, owned by the workspace owner; `jobs/` itself stays the agent's. Made
 * exclusively, right after the removal of what was there: `mkdir -p` took a link an engine (in the sandbox, the
 * agent's own user, who can write `jobs/`) planted in between for the directory, and the job's repository was made,
 * and its engine run, wherever the link led. Given to its owner through a descriptor of the directory itself.
 * @throws Error EEXIST — something was placed at `dir` since the removal (the preparation fails; a retry comes later)
 */
export function freshJobDir(dir: string, as: RunAs | undefined): void {
  sharedDir(path.dirname(dir));
  try {
    mkdirSync(dir, { mode: 0o755 }); // never -p: an existing entry, a link included, fails with EEXIST
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    throw new Error(`EEXIST: ${dir} is there again after its removal (an engine's link or a leftover): not used`);
  }
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    if (as) fchownSync(fd, as.uid, as.gid);
  } finally {
    closeSync(fd);
  }
}
