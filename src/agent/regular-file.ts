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

/** What `readRegularFile` found: the text, nothing at the path, or why what is there was not read. */
export type RegularRead = { text: string } | { missing: true } | { refused: string };

/**
 * `file`'s text (UTF-8) when it is a regular file of fewer than `maxBytes` bytes; `missing` when nothing is there;
 * else `refused` with why in words (`a symbolic link`, `not a regular file`, `N bytes, over the M read`, the
 * system's error). Never throws, never blocks on what is at the path.
 */
export function readRegularFile(file: string, maxBytes: number): RegularRead {
  let fd: number;
  try {
    fd = openSync(file, NO_FOLLOW_READ);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { missing: true };
    return { refused: code === "ELOOP" ? "a symbolic link" : (err as Error).message };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { refused: "not a regular file" };
    if (st.size >= maxBytes) return { refused: `${st.size} bytes, over the ${maxBytes} read` };
    return { text: readFileSync(fd, "utf8") };
  } catch (err) {
    return { refused: (err as Error).message };
  } finally {
    closeSync(fd);
  }
}

/**
 * `file`'s text (UTF-8) when it is a regular file of fewer than `maxBytes` bytes (default 64 KiB), else undefined:
 * missing, a link, a FIFO, a directory, too large, unreadable. Never throws, never blocks on what is at the path.
 */
export function readRegular(file: string, maxBytes = 65_536): string | undefined {
  const read = readRegularFile(file, maxBytes);
  return "text" in read ? read.text : undefined;
}
