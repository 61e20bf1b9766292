/**
 * @module agent/opened-dir
 * Reading inside a directory an engine can write (a mirror's `worktrees/`) without following a link swapped in for
 * it. A check by path (lstat: a directory) and then a listing by path lost to an engine that swapped the directory for
 * a link between the two: the listing, and every read under it, went wherever the link led — as root with an engine
 * user, any directory of the host. Here the directory is opened once as itself (O_DIRECTORY|O_NOFOLLOW: a link fails,
 * never followed) and everything below is reached through that descriptor's own name, `/proc/self/fd/<fd>`, which
 * names the opened directory whatever is put at its path meanwhile. Node has no openat/fdopendir; where there is no
 * `/proc/self/fd` (macOS), the path is used, and the answer kept only when the path still names the opened directory
 * once it is done (a swap there and back within the reading is not seen).
 */
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync } from "node:fs";

/** Opened as itself: a link at the path fails (ELOOP), as does anything but a directory (ENOTDIR). */
const DIR_NO_FOLLOW = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** Where an open descriptor is a path of its own (Linux); undefined elsewhere. */
const FD_NAMES = existsSync("/proc/self/fd") ? "/proc/self/fd" : undefined;

/**
 * `read(at)` with `dir` opened as itself, where `at` names that very directory while `read` runs (a path below `at`
 * never leaves it through a link put at `dir`; a link *inside* it is still one: open what is below the same way, or
 * with O_NOFOLLOW). Undefined when `dir` is missing, a link or no directory, or (without `/proc/self/fd`) was swapped
 * while it was read. Throws what `read` throws.
 */
export function inOpenedDir<T>(dir: string, read: (at: string) => T): T | undefined {
  let fd: number;
  try {
    fd = openSync(dir, DIR_NO_FOLLOW);
  } catch {
    return undefined;
  }
  try {
    if (FD_NAMES) return read(`${FD_NAMES}/${fd}`);
    const out = read(dir);
    const opened = fstatSync(fd);
    const now = lstatSync(dir, { throwIfNoEntry: false });
    return now?.isDirectory() && now.dev === opened.dev && now.ino === opened.ino ? out : undefined;
  } finally {
    closeSync(fd);
  }
}
