/**
 * @module agent/exclusive-file
 * Writing a file of the agent's into a directory an engine can also write — `jobs/` (the job and lessons files) and
 * `kept/` (the keep markers): in the sandbox (agent/sandbox) the engine is this very user, so any engine on the host
 * can place a symlink at the path. Removing the old file and then writing by path let one planted between the two
 * calls take the write — over the state dir's `config.json`, another job's files, anything this user may write.
 * So the file is created with O_CREAT|O_EXCL|O_NOFOLLOW (a link, even a dangling one, is never followed: the open
 * fails), written and given to its owner through that descriptor alone.
 */
import { closeSync, constants, fchmodSync, fchownSync, openSync, rmSync, writeSync } from "node:fs";

const CREATE_ONLY = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Replace `file` with a new file of this process holding `data` (mode `mode`, owned by `owner` when given): whatever
 * was at the path (a file, a link) is unlinked, never written through. Something there again at the create (planted
 * meanwhile) is removed once more; a second one is an error. `beforeCreate` runs between a removal and the create
 * (tests plant a link there).
 * @throws Error EEXIST — something was placed at the path twice; what node:fs throws (EISDIR for a directory there)
 */
export function replaceFile(
  file: string,
  data: string,
  opts: { mode: number; owner?: { uid: number; gid: number }; beforeCreate?: () => void },
): void {
  for (let attempt = 0; ; attempt++) {
    rmSync(file, { force: true });
    opts.beforeCreate?.();
    let fd: number;
    try {
      fd = openSync(file, CREATE_ONLY, opts.mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST" && attempt === 0) continue;
      throw err;
    }
    try {
      fchmodSync(fd, opts.mode); // the create's mode is masked by umask
      if (opts.owner) fchownSync(fd, opts.owner.uid, opts.owner.gid);
      const bytes = Buffer.from(data, "utf8");
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    } finally {
      closeSync(fd);
    }
    return;
  }
}
