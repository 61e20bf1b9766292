/**
 * @module agent/exclusive-file
 * Writing a file of the agent's into a directory an engine can also write — `jobs/` (the job and lessons files) and
 * `kept/` (the keep markers): in the sandbox (agent/sandbox) the engine is this very user, so any engine on the host
 * can place a symlink at the path. Removing the old file and then writing by path let one planted between the two
 * calls take the write — over the state dir's `config.json`, another job's files, anything this user may write.
 * So the file is created with O_CREAT|O_EXCL|O_NOFOLLOW (a link, even a dangling one, is never followed: the open
 * fails), written and given to its owner through that descriptor alone. A file replaced whole (`replaceAtomically`:
 * the state dir's config and job records) is written so at a temporary name, then renamed into place.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";

const CREATE_ONLY = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Replace `file` with a new file of this process holding `data` (mode `mode`, owned by `owner` when given): whatever
 * was at the path (a file, a link) is unlinked, never written through. Something there again at the create (planted
 * meanwhile) is removed once more; a second one is an error. `sync`: flushed to disk before it is closed.
 * `beforeCreate` runs between a removal and the create (tests plant a link there).
 * @throws Error EEXIST — something was placed at the path twice; what node:fs throws (EISDIR for a directory there)
 */
export function replaceFile(
  file: string,
  data: string,
  opts: { mode: number; owner?: { uid: number; gid: number }; sync?: boolean; beforeCreate?: () => void },
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
      if (opts.sync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return;
  }
}

/**
 * Replace `file` whole with `data` (mode `mode`): written at `<file>.<pid>.tmp` as `replaceFile` writes (whatever lay
 * at that name — a crash's leftover, a link or hard link planted there — is unlinked, never written through), then
 * renamed over `file`, so a crash leaves the old file or the new one. With `sync` the data is on disk before the
 * rename (else a power loss can leave an empty file under the new name). Nothing is left at the temporary name on
 * failure. `beforeCreate` as for `replaceFile`.
 * @throws Error what node:fs throws (EEXIST when something was planted at the temporary name twice, ENOSPC…)
 */
export function replaceAtomically(
  file: string,
  data: string,
  opts: { mode: number; sync?: boolean; beforeCreate?: () => void },
): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    replaceFile(tmp, data, opts);
    renameSync(tmp, file);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* a directory planted there: not ours to remove, and nothing of ours is in it */
    }
    throw err;
  }
}
