/**
 * @module shared/pid-lock
 * One process per directory: a lock file holding its owner's pid (and, on Linux, the owner's start time; then a
 * nonce), created whole or not at all, removed when the owner exits. A lock whose owner is gone is stale and taken
 * over, so a crash, a `kill -9` or a reboot never blocks the next start for good:
 * - the pid is dead, or a zombie (it has exited; only its reaping is left);
 * - the pid lives but is another process: its start time differs from the one recorded (Linux: pids are reused,
 *   after a reboot at once), or its command line is not the owner's kind (`isOwner`);
 * - the file is empty or unreadable.
 * Many starts may find the same stale lock: one at a time takes it over, under an O_EXCL claim named after the stale
 * text (`settle`), and replaces it with one atomic rename, so at most one start ever believes it holds the lock.
 * Used by the agent's state dir and by scripts/start-preflight's `npm start` lock. Node has no flock(2), hence a pid
 * file.
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  linkSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";

/** The live process that holds a lock: its pid and command line (NULs as spaces). */
export interface LockOwner {
  pid: number;
  command: string;
}

/** Taken (`release` removes the file if it is still ours; it also runs at exit), or held by a live `owner`. */
export type LockResult = { ok: true; release: () => void } | { ok: false; owner?: LockOwner };

/** `/proc/<pid>/stat` → [state, start time in clock ticks since boot], or undefined: no such process, or no /proc. */
function procStat(pid: number | "self"): [string, string] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm is in parentheses and may contain spaces or ')': fields 3… follow the last one; starttime is field 22.
    const fields = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return [fields[0] ?? "", fields[19] ?? ""];
  } catch {
    return undefined;
  }
}

const hasProc = (): boolean => procStat("self") !== undefined;

/** This process's start time (Linux), recorded in the lock so that a reused pid is told apart from the owner. */
function ownStart(): string {
  return procStat("self")?.[1] ?? "";
}

/** The command line of live process `pid`, or undefined when it is gone (or a zombie). */
function liveCommand(pid: number): { command: string; start?: string } | undefined {
  if (hasProc()) {
    const st = procStat(pid);
    if (!st || st[0] === "Z" || st[0] === "X") return undefined;
    try {
      return { command: readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+/g, " ").trim(), start: st[1] };
    } catch {
      return undefined;
    }
  }
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return undefined; // ESRCH: gone
  }
  // No /proc (macOS, BSD): ps names the command. Without ps the pid's liveness alone has to do.
  // Bounded like every child the programs wait for synchronously: a wedged ps must not hang the CLI's start.
  const ps = spawnSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8", timeout: 10_000 });
  return { command: ps.status === 0 ? ps.stdout.trim() : "" };
}

/** The owner recorded in `text` if it is alive and the same process, else undefined (stale). */
function liveOwner(text: string, isOwner: (command: string) => boolean): LockOwner | undefined {
  const [pidLine, startLine = ""] = text.split("\n");
  const pid = Number(pidLine);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  const live = liveCommand(pid);
  if (!live) return undefined;
  if (startLine && live.start !== undefined && live.start !== startLine) return undefined; // a reused pid
  if (live.command && !isOwner(live.command)) return undefined; // a reused pid, by what runs there
  return { pid, command: live.command };
}

/** The most of a lock file read: its text is a pid, a start time, a command line and a nonce. */
const LOCK_MAX_BYTES = 8192;

/**
 * The text of `file`; undefined when it is gone, "" when it cannot be read or is no regular file (stale: nothing names
 * a live owner). Opened without following a link or waiting on a FIFO: a lock's name is predictable, and a FIFO
 * planted there hung the CLI (and the agent's start) for good in `readFileSync`.
 */
function readLock(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return "";
    const buf = Buffer.alloc(LOCK_MAX_BYTES);
    return buf.subarray(0, readSync(fd, buf, 0, LOCK_MAX_BYTES, 0)).toString("utf8");
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? undefined : "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** One starter: the text it writes to the lock (unique: it ends in a nonce), and the tag of its temp file (its pid). */
export interface Starter {
  text: string;
  tag: string;
}

/** What a start came to: taken, or held by a live `owner` (none named: another start is taking it over). */
export type LockStep = { ok: true } | { ok: false; owner?: LockOwner };

type Live = (text: string) => LockOwner | undefined;

/**
 * Replaces `target` (the lock) with our temp file `tmp`, or removes it (`replace` false: a dead start's claim), if
 * it still holds the stale `text`. Only while holding that text's claim, `<file>.claim.<hash of text>`, made by
 * hard-linking `tmp` there (O_EXCL: one holder). A file holding `text` is changed only by a holder of its claim, and
 * no text comes back once replaced (each start's ends in a nonce), so a `target` that still holds `text` under the
 * claim holds it until we act. A claim whose holder died is itself removed the same way, under its own text's claim.
 * "done": replaced or removed; "gone": `target` changed (another start got there first); "busy": a live start holds
 * the claim and is acting on it.
 */
function* settle(
  file: string,
  target: string,
  text: string,
  tmp: string,
  live: Live,
  replace: boolean,
): Generator<string, "done" | "gone" | "busy"> {
  const claim = `${file}.claim.${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
  for (;;) {
    try {
      yield "claim";
      linkSync(tmp, claim);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      yield "read claim";
      const holder = readLock(claim);
      if (holder === undefined) continue; // released meanwhile
      if (live(holder)) return "busy";
      if ((yield* settle(file, claim, holder, tmp, live, false)) === "busy") return "busy";
      continue;
    }
    try {
      yield "check";
      if (readLock(target) !== text) return "gone";
      yield replace ? "replace" : "remove";
      if (replace) renameSync(tmp, target);
      else rmSync(target, { force: true });
      return "done";
    } finally {
      yield "unclaim";
      rmSync(claim, { force: true });
    }
  }
}

/**
 * The filesystem steps of taking `file` for `me`, one per `next()`: it yields the name of its next step before
 * taking it, so a test can interleave many starters step by step on real files (takePidLock runs it straight
 * through). `live(text)` is the live owner recorded in a lock's text, or undefined when that lock is stale.
 * A stale lock is replaced whole by one atomic rename, never removed first: the lock never vanishes while a start
 * believes it holds it (moving it aside to check it, then putting it back, let a third start link into the gap).
 */
export function* lockSteps(file: string, me: Starter, live: Live): Generator<string, LockStep> {
  const tmp = `${file}.${me.tag}.tmp`;
  // Written aside, then hard-linked into place: the lock appears whole or not at all, never half-written.
  yield "write";
  writeFileSync(tmp, me.text, { mode: 0o644 });
  try {
    for (;;) {
      try {
        yield "link";
        linkSync(tmp, file);
        return { ok: true };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      yield "read";
      const text = readLock(file);
      if (text === undefined) continue; // released meanwhile
      const owner = live(text);
      if (owner) return { ok: false, owner };
      const took = yield* settle(file, file, text, tmp, live, true);
      if (took === "done") return { ok: true };
      if (took === "busy") return { ok: false };
      // gone: another start replaced it first; the next link fails and names it (or finds it stale in turn)
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Take the lock `file` (its directory must exist) for this process. `isOwner(command)` says whether a live pid's
 * command line is a process of the kind that holds this lock (anything else at that pid reused it).
 * Never throws for a held or stale lock; throws the system's error when the directory cannot be written.
 */
export function takePidLock(file: string, isOwner: (command: string) => boolean): LockResult {
  const mine = `${process.pid}\n${ownStart()}\n${randomBytes(8).toString("hex")}\n`;
  const steps = lockSteps(file, { text: mine, tag: String(process.pid) }, (text) => liveOwner(text, isOwner));
  let step = steps.next();
  while (!step.done) step = steps.next();
  if (!step.value.ok) return step.value;
  const release = (): void => {
    if (readLock(file) === mine) rmSync(file, { force: true });
  };
  process.once("exit", release);
  return { ok: true, release };
}

/** Whether process `pid` exists (EPERM: it does, as another user's). One rule for every pid-named leftover. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
