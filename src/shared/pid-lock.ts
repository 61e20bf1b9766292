/**
 * @module shared/pid-lock
 * One process per directory: a lock file holding its owner's pid (and, on Linux, the owner's start time), created
 * whole or not at all, removed when the owner exits. A lock whose owner is gone is stale and taken over, so a crash,
 * a `kill -9` or a reboot never blocks the next start for good:
 * - the pid is dead, or a zombie (it has exited; only its reaping is left);
 * - the pid lives but is another process: its start time differs from the one recorded (Linux: pids are reused,
 *   after a reboot at once), or its command line is not the owner's kind (`isOwner`);
 * - the file is empty or unreadable.
 * The same mechanism as scripts/start-preflight's `npm start` lock, made reusable for the agent's state dir (the
 * scripts keep their own copy for now). Node has no flock(2), hence a pid file.
 */
import { spawnSync } from "node:child_process";
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";

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
  const ps = spawnSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8" });
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

function readLock(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** One starter: the text it writes to the lock, and the tag naming its temporary files (its pid). */
export interface Starter {
  text: string;
  tag: string;
}

/** What a start came to: taken, or held by a live `owner` (none named: another start is taking it over). */
export type LockStep = { ok: true } | { ok: false; owner?: LockOwner };

/**
 * The filesystem steps of taking `file` for `me`, one per `next()`: it yields the name of its next step before
 * taking it, so a test can interleave many starters step by step on real files (takePidLock runs it straight
 * through). `live(text)` is the live owner recorded in a lock's text, or undefined when that lock is stale.
 */
export function* lockSteps(
  file: string,
  me: Starter,
  live: (text: string) => LockOwner | undefined,
): Generator<string, LockStep> {
  const tmp = `${file}.${me.tag}.tmp`;
  // Written aside, then hard-linked into place: the lock appears whole or not at all, never half-written.
  yield "write";
  writeFileSync(tmp, me.text, { mode: 0o644 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        yield "link";
        linkSync(tmp, file);
        return { ok: true };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        yield "read";
        const text = readLock(file) ?? "";
        const owner = live(text);
        if (owner) return { ok: false, owner };
        // Stale. Once only: a second clash means another start took it in between.
        if (attempt > 0) return { ok: false };
        // Moved aside before removal, and checked: a start that took it over meanwhile keeps it.
        const aside = `${file}.${me.tag}.stale`;
        try {
          yield "move aside";
          renameSync(file, aside);
        } catch {
          continue; // gone already
        }
        yield "check aside";
        if (readLock(aside) !== text) {
          try {
            yield "put back";
            linkSync(aside, file);
          } catch {
            /* a third start holds it now: the next link fails and names it */
          }
        }
        yield "remove aside";
        rmSync(aside, { force: true });
      }
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
  const mine = `${process.pid}\n${ownStart()}\n`;
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
