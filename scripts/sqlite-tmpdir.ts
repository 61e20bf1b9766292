/**
 * @module scripts/sqlite-tmpdir
 * Where the local runtime's SQLite puts its temporary files (chiefly savepoint sub-journals; also sort spills and
 * statement journals): on tmpfs when the machine has one with room, instead of SQLite's default `/var/tmp`.
 *
 * Why (issue 12, eighth pass, bench/README): every `transactionSync` in workerd is a SAVEPOINT inside the turn's
 * implicit transaction, and SQLite copies each page a savepoint changes into a sub-journal, which it keeps in
 * memory up to 64 KiB (16 pages) and then spills to a temporary file — created, written and deleted for that one
 * unit. A coordinator unit that completes a job changes about that many pages, so under load the runtime created
 * and deleted hundreds of such files a second, on the disk (`strace`: `/var/tmp/etilqs_*`). With them on tmpfs the
 * peer harness's W1 ran 514 and 523 jobs/s against 478 and 465, alternating, on one machine.
 *
 * This is the local runtime's setting, not the coordinator's: Cloudflare's storage is not configured from here.
 * SQLite's unix VFS reads `SQLITE_TMPDIR` when it first needs a temporary file; workerd inherits the variable from
 * the Node process that starts it (Miniflare), so it must be set before the runtime starts.
 */
import { accessSync, constants, statfsSync, statSync } from "node:fs";
import path from "node:path";

/** The tmpfs directory tried. */
export const TMPFS_DIR = "/dev/shm";
/**
 * The least free space TMPFS_DIR must have, when the runtime starts, to be used (bytes; checked, not reserved).
 * 1 GiB: a sub-journal holds a page per page the unit changed (4 KiB each), so a large unit — a retention sweep, a
 * 1,000-job batch — may need tens of MB, and a full temporary file system fails the unit (`SQLITE_FULL`). Containers
 * often give `/dev/shm` 64 MB: there the default disk directory is kept.
 */
export const MIN_FREE_BYTES = 1024 ** 3;
/** `statfs` f_type of tmpfs (Linux `TMPFS_MAGIC`): `/dev/shm` may be a plain directory on some systems. */
const TMPFS_MAGIC = 0x01021994;

/** What the choice reads of the machine (injected by the tests). */
export interface TmpdirProbe {
  /** `SQLITE_TMPDIR` as already set by the user, if any. */
  readonly current: string | undefined;
  /** `TMPDIR` as set by the user, if any: SQLite reads it before `/var/tmp`, so it is the user's choice too. */
  readonly tmpdir: string | undefined;
  /** Whether `dir` is a directory this process can create files in (write and search permission). */
  writableDir(dir: string): boolean;
  /** Whether `dir` is on tmpfs (memory-backed). */
  ramBacked(dir: string): boolean;
  /** Bytes available to this process on `dir`'s file system (0 when it cannot be read). */
  freeBytes(dir: string): number;
}

/**
 * The directory SQLite should use for temporary files, or `undefined` for SQLite's default. A `SQLITE_TMPDIR` the
 * user set is kept (made absolute: workerd resolves a relative one against each object's directory); a `TMPDIR` the
 * user set leaves SQLite's own order alone; otherwise TMPFS_DIR when it is a writable tmpfs directory with at
 * least MIN_FREE_BYTES free. Never throws: a probe that fails means "not usable".
 */
export function chooseSqliteTmpdir(probe: TmpdirProbe): string | undefined {
  if (probe.current) return path.resolve(probe.current);
  if (probe.tmpdir) return undefined;
  try {
    if (!probe.writableDir(TMPFS_DIR) || !probe.ramBacked(TMPFS_DIR)) return undefined;
    return probe.freeBytes(TMPFS_DIR) >= MIN_FREE_BYTES ? TMPFS_DIR : undefined;
  } catch {
    return undefined;
  }
}

/** The probe of this machine: `process.env` (read when asked, not at import), `access` and `statfs`. */
export const machineProbe: TmpdirProbe = {
  get current() {
    return process.env.SQLITE_TMPDIR;
  },
  get tmpdir() {
    return process.env.TMPDIR;
  },
  writableDir(dir) {
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
      return statSync(dir).isDirectory();
    } catch {
      return false;
    }
  },
  ramBacked(dir) {
    try {
      return statfsSync(dir).type === TMPFS_MAGIC;
    } catch {
      return false;
    }
  },
  freeBytes(dir) {
    try {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    } catch {
      return 0;
    }
  },
};

/**
 * Sets `SQLITE_TMPDIR` in this process's environment (inherited by the workerd it starts) when a directory is
 * chosen; call before the runtime starts. Returns the directory in effect, or `undefined` for SQLite's default.
 */
export function useFastSqliteTmpdir(probe: TmpdirProbe = machineProbe): string | undefined {
  const dir = chooseSqliteTmpdir(probe);
  if (dir !== undefined) process.env.SQLITE_TMPDIR = dir;
  return dir;
}
