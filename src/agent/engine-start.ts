/**
 * @module agent/engine-start
 * An engine that could not START on this host — its binary not executable (EACCES), gone since the agent started,
 * its `#!` interpreter missing (ENOENT from the kernel's exec of a script), a workspace gone under it — is this host's
 * problem, not the job's: the job is given back (`reject`, agent/host-refusal), as a missing engine is, with a message
 * that names the binary, the cause and the fix. Reported as the job's failure, it was not retried here and spent the
 * attempt, though any other host might run it.
 *
 * Only what is certain counts as "could not start": Node's spawn `error` event (exec failed in the child, before
 * any of the engine's code ran), and in the sandbox bwrap's `--json-status-fd`, which writes `exit-code` only when its
 * exec of the engine succeeded (agent/sandbox `sandboxedEngineArgv`). An engine that started and exited 127 on its
 * own, or a dynamic loader that exits 127 (a missing shared library) after a successful exec, stays the job's
 * failure: only its exit code would say otherwise, and any engine may exit 127. So does a file the kernel cannot
 * exec as such (ENOEXEC): Node and bwrap both exec through execvp, which runs it with /bin/sh instead.
 */
import { accessSync, closeSync, constants, fstatSync, openSync, readSync, statSync } from "node:fs";
import path from "node:path";
import { findOnPath } from "./capabilities.ts";

/** What exec said: Node's errno code (`EACCES`, `ENOENT`, …) and its message, or bwrap's stderr line. */
export interface ExecFailure {
  code?: string;
  message: string;
}

/**
 * Opened without waiting for a writer (a FIFO opens at once, then is refused by fstat): a FIFO named as an engine
 * blocked the agent's synchronous open for good. A link is followed: an installed engine is often one (agent/regular-file
 * refuses links, for files an engine could have swapped; the engine's binary is the operator's).
 */
const OPEN_NO_WAIT = constants.O_RDONLY | constants.O_NONBLOCK;

/** The first line of `file` when it is a `#!` line: the interpreter's path (undefined: none, unreadable, not a regular file). */
function interpreterOf(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, OPEN_NO_WAIT);
    if (!fstatSync(fd).isFile()) return undefined;
    const head = Buffer.alloc(256);
    const n = readSync(fd, head, 0, head.length, 0);
    const line = head.subarray(0, n).toString("latin1").split("\n")[0] ?? "";
    return line.startsWith("#!") ? line.slice(2).trim().split(/\s+/)[0] || undefined : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const exists = (p: string) => statSync(p, { throwIfNoEntry: false }) !== undefined;

/** `file`'s words when it is there but is no regular file (a FIFO, a device, a directory): exec cannot run it. */
function notRegular(file: string): string | undefined {
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st || st.isFile()) return undefined;
  const kind = st.isFIFO() ? "a FIFO" : st.isDirectory() ? "a directory" : "not a regular file";
  return `${file}: ${kind}, not a program: name the engine's program in its template (--engine NAME=…)`;
}

/**
 * Where `command` is on `pathVar` (any file there, executable or not: EACCES is what is being explained), or
 * undefined. A name with a `/` is itself (relative to `cwd`).
 */
function located(command: string, pathVar: string, cwd: string): string | undefined {
  const isFile = (f: string) => statSync(f, { throwIfNoEntry: false }) !== undefined;
  if (command.includes("/")) return isFile(path.resolve(cwd, command)) ? path.resolve(cwd, command) : undefined;
  return findOnPath(command, { PATH: pathVar, platform: process.platform, isExecutable: isFile });
}

/**
 * Why the engine `argv0` did not start and how to fix it, one line naming the binary: e.g. `/usr/local/bin/claude:
 * permission denied (EACCES): make it executable by uid 65534: chmod a+rx /usr/local/bin/claude …`.
 * @param env the engine's environment (its PATH is where exec looked); `cwd` its working directory; `uid` who it ran as
 */
export function whyNotStarted(
  argv0: string,
  failure: ExecFailure,
  ctx: { env: Readonly<Record<string, string>>; cwd: string; uid?: number },
): string {
  return notStarted(argv0, failure, ctx).why;
}

/**
 * `whyNotStarted`'s words, and whether the fault is the engine's own — its binary missing, not executable, its `#!`
 * interpreter gone: every job for it fails so until an operator fixes it (agent/engine-offer withdraws it) — rather
 * than this one start's (its working directory gone) or the sandbox's, which any engine would meet.
 */
export function notStarted(
  argv0: string,
  failure: ExecFailure,
  ctx: { env: Readonly<Record<string, string>>; cwd: string; uid?: number },
): { why: string; engineFault: boolean } {
  const pathVar = ctx.env.PATH ?? "";
  const file = located(argv0, pathVar, ctx.cwd);
  // bwrap's words for its exec of the engine (`bwrap: execvp claude: Permission denied`); any other line of its is
  // about the sandbox's own setup (a mount, a namespace), whose "No such file" is no missing engine.
  const execvp = /^bwrap: execvp /.test(failure.message);
  const code =
    failure.code ??
    (!execvp
      ? undefined
      : /Permission denied/.test(failure.message)
        ? "EACCES"
        : /No such file/.test(failure.message)
          ? "ENOENT"
          : undefined);
  const who = ctx.uid !== undefined ? `uid ${ctx.uid} (the user engines run as)` : "the agent's user";
  // exec's EACCES for a FIFO or a directory is no mode to chmod; its ENOENT (the sandbox's view) no file to reinstall.
  const odd = file && (code === "EACCES" || (code === "ENOENT" && exists(ctx.cwd))) ? notRegular(file) : undefined;
  if (odd) return { why: odd, engineFault: true };
  if (code === "EACCES") {
    const name = file ?? argv0;
    const why =
      `${name}: permission denied (EACCES): make it executable by ${who}: chmod a+rx ${name} ` +
      "(and a+x on each directory above it; a noexec mount cannot run it at all)";
    return { why, engineFault: true };
  }
  if (code === "ENOENT") {
    if (!exists(ctx.cwd))
      return { why: `${argv0}: its working directory ${ctx.cwd} is gone (ENOENT)`, engineFault: false };
    if (!file && argv0.includes("/"))
      return { why: `${argv0}: no such file (ENOENT): install it, or fix the engine's template`, engineFault: true };
    if (!file) {
      const why =
        `${argv0}: not found on the engine's PATH (${pathVar || "empty"}) (ENOENT): install it there, or name its ` +
        "full path in the engine's template (--engine NAME=…)";
      return { why, engineFault: true };
    }
    const interp = interpreterOf(file);
    if (interp && !exists(interp)) {
      const why = `${file}: its interpreter ${interp} (its #! line) does not exist (ENOENT): install it or fix the #! line`;
      return { why, engineFault: true };
    }
    return { why: `${file}: ${failure.message} (ENOENT): reinstall it`, engineFault: true };
  }
  if (failure.message.startsWith("bwrap: ") && !execvp) {
    const why = `${argv0}: the sandbox could not be set up (${failure.message}): check that bwrap works on this host`;
    return { why, engineFault: false };
  }
  return {
    why: `${file ?? argv0}: ${failure.message}${code ? ` (${code})` : ""}: this host cannot start it`,
    engineFault: true,
  };
}

/** `file` is a regular file `as` (a uid and gid; undefined: the agent's own user, asked of the kernel) execute `file`. */
function executableBy(file: string, as: { uid: number; gid: number } | undefined): boolean {
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st?.isFile()) return false;
  if (!as) {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
  const bits = st.uid === as.uid ? 0o100 : st.gid === as.gid ? 0o010 : 0o001;
  return (st.mode & bits) !== 0 || (as.uid === 0 && (st.mode & 0o111) !== 0);
}

/**
 * What can be seen, without running it, that would keep the engine `argv0` from starting: not on `pathVar` (or no
 * such file), not executable by `as`, or its `#!` interpreter missing — the words `whyNotStarted` uses; undefined when
 * none of that is so. Not proof that it starts (a noexec mount, a loader's failure are seen only by running it): a
 * withdrawn engine that passes is offered again, and withdrawn again if it still cannot start (agent/engine-offer).
 */
export function engineStartProblem(
  argv0: string,
  ctx: { pathVar: string; cwd: string; as?: { uid: number; gid: number } },
): string | undefined {
  const file = located(argv0, ctx.pathVar, ctx.cwd);
  if (!file && argv0.includes("/")) return `${argv0}: no such file`; // a path: PATH is not where it was looked for
  if (!file) return `${argv0}: not found on the engine's PATH (${ctx.pathVar || "empty"})`;
  const odd = notRegular(file);
  if (odd) return odd;
  if (!executableBy(file, ctx.as)) return `${file}: not executable by ${ctx.as ? `uid ${ctx.as.uid}` : "this user"}`;
  const interp = interpreterOf(file);
  if (interp && !exists(interp)) return `${file}: its interpreter ${interp} (its #! line) does not exist`;
  return undefined;
}
