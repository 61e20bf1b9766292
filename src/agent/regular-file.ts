/**
 * @module agent/regular-file
 * Reading a small file the agent did not write, from a directory an engine can write (`kept/`, a mirror, a
 * workspace): opened once, as itself — never through a link (O_NOFOLLOW), never waiting for a writer (O_NONBLOCK: a
 * FIFO opens at once) — and read from that descriptor only when fstat says it is a regular file under the bound.
 * Checking by path (lstat) and then reading by path lost to an engine that swapped the file between the two: a FIFO
 * blocked the agent's synchronous read for good (every seat's lease lapsed), a link was followed (a link to /dev/zero
 * reads on until memory runs out).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";

/** Opened as itself: never through a link, and never waiting for a writer (a FIFO opens at once, then is refused). */
export const NO_FOLLOW_READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * `file`'s text (UTF-8) when it is a regular file of fewer than `maxBytes` bytes (default 64 KiB), else undefined:
 * missing, a link, a FIFO, a directory, too large, unreadable. Never throws, never blocks on what is at the path.
 */
export function readRegular(file: string, maxBytes = 65_536): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, NO_FOLLOW_READ);
  } catch {
    return undefined; // missing, a link (ELOOP), not readable
  }
  try {
    const st = fstatSync(fd);
    return st.isFile() && st.size < maxBytes ? readFileSync(fd, "utf8") : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
