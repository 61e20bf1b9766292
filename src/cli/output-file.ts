/**
 * @module cli/output-file
 * The files `artifact … -o FILE` writes (cli/artifact-download): a part opened as a regular file only, the checked
 * part renamed onto FILE, and why FILE could not be written — the path named (`file_unwritable`, exit 2) or the disk
 * under the bytes (`write_failed`, exit 1) — and the folder FILE goes in, checked before anything is asked.
 */
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readlinkSync,
  renameSync,
  statSync,
} from "node:fs";
import { dirname, resolve } from "node:path";
import { EXIT_USAGE } from "../shared/fixable-error.ts";
import { CliError } from "./errors.ts";

/** `part` given the replaced file's `mode`, then renamed onto `target` (-o `shown` or its link target). */
export function moveOnto(part: string, target: string, shown: string, mode: number | undefined): void {
  try {
    if (mode !== undefined) chmodSync(part, mode);
    renameSync(part, target);
  } catch (err) {
    throw unwritable(shown, err as NodeJS.ErrnoException, false);
  }
}

/** A disk that fails under the bytes — full, over quota, an I/O error, a file past its size limit — at any step. */
const DISK_FAULTS = new Set(["ENOSPC", "EDQUOT", "EIO", "EFBIG"]);

/**
 * Why -o `shown` could not be written. `file_unwritable`, exit 2 (cli/exit-codes: a file the command line names that
 * it cannot take, as `submit`'s it cannot read), for a path that cannot be opened or replaced — a directory that does
 * not exist, no permission, a read-only file system; it exited 1, the code of a failed operation. `write_failed`,
 * exit 1, once the file is open (`opened`) or when the disk failed (DISK_FAULTS): nothing in the command line to fix.
 */
export function unwritable(shown: string, err: NodeJS.ErrnoException, opened: boolean): CliError {
  const what = `cannot write ${shown} (${err.code ?? err.message})`;
  if (opened || DISK_FAULTS.has(err.code ?? ""))
    return new CliError(
      "write_failed",
      what,
      "free space on its disk (or check the disk), then run the same command again",
    );
  return new CliError("file_unwritable", what, "check the path: its directory must exist and be writable", EXIT_USAGE);
}

/** Whether `path` is a regular file or nothing at all (a link there is neither, whatever it names). */
export function plainOrNone(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT";
  }
}

/**
 * A file descriptor to write the part `path` from its start (`append` false: created or emptied) or at its end: never
 * through a link (O_NOFOLLOW: a part's name is predictable), never anything but a regular file — O_NONBLOCK, so a
 * FIFO put there is refused at once (ENXIO) instead of blocking until a reader comes, and fstat checks the rest.
 * `mode`: permission bits of a new file, less the umask, plus the owner's read and write: a part of a read-only FILE
 * (0444) was kept 0444, which the next run could not append to (EACCES). @throws the system's error, or ENOTREG
 */
export function openPlain(path: string, append: boolean, mode = 0o666): number {
  const how = append ? constants.O_APPEND : constants.O_CREAT | constants.O_TRUNC;
  const fd = openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | how, mode | 0o600);
  if (fstatSync(fd).isFile()) return fd;
  closeSync(fd);
  throw Object.assign(new Error("not a regular file"), { code: "ENOTREG" });
}

/**
 * Why -o `file` cannot be written, said before the request (`file_unwritable`, exit 2), or undefined when its folder
 * is there to write into. The folder is the one the file lands in: FILE's, or a link's target's (a link written
 * through). A folder that is missing, not a folder, or not writable made the GET first — a whole artifact asked for,
 * perhaps a large one — and only then said "cannot write FILE (ENOENT) / check the path".
 */
export function folderFault(file: string): CliError | undefined {
  const folder = dirname(linkTarget(file));
  const refuse = (why: string, fix = "pass -o a path in a folder you can write to") =>
    new CliError("file_unwritable", `cannot write ${file}: ${why}`, `${fix}; nothing was downloaded`, EXIT_USAGE);
  try {
    if (!statSync(folder).isDirectory()) return refuse(`${folder} is not a folder`);
    accessSync(folder, constants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      return refuse(
        `its folder ${folder} does not exist`,
        `create it first (\`mkdir -p ${shellQuoted(folder)}\`), or pass -o a path in a folder that exists`,
      );
    if (code === "ENOTDIR") return refuse(`${folder} is not a folder`);
    return refuse(`its folder ${folder} cannot be written (${code ?? (err as Error).message})`);
  }
}

/**
 * `path` as one shell word: as is when plain, else in single quotes (a `'` in it as `'\''`). `mkdir -p /tmp/my dir`
 * pasted as printed made two folders, neither the one -o needed.
 */
function shellQuoted(path: string): string {
  return /^[\w.,:@/+=-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

/** Where a write to `file` lands: through a link (however many), else `file` itself. */
function linkTarget(file: string): string {
  let at = file;
  for (let hops = 0; hops < 40; hops++) {
    try {
      if (!lstatSync(at).isSymbolicLink()) return at;
      at = resolve(dirname(at), readlinkSync(at));
    } catch {
      return at; // none there yet: the file is made in its folder
    }
  }
  return at; // a loop of links: its open says ELOOP, as it did
}
