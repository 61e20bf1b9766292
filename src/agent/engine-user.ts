/**
 * @module agent/engine-user
 * Who the engine runs as: under root (or with `--engine-user`) another, unprivileged user
 * (default `nobody`), for the engine and for every git command in its files, so the
 * factory token is out of its reach. A job's text is untrusted (operators, trackers,
 * other jobs write it), and a prompt-injected engine runs whatever it is told: as the
 * agent's own user it could read the token in `config.json` or `/proc/<agent>/environ`.
 * As another user it cannot: the state dir is the agent's, mode 0700. Without root the
 * engine stays the agent's user — see README "Security model".
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  closeSync,
  fstatSync,
  futimesSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import { NO_FOLLOW_READ } from "./regular-file.ts";

/** A user to run processes as (uid/gid go to spawn; home becomes HOME). */
export interface RunAs {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** How long a start-up probe (`getent`, the engine-access check) may take, ms: NSS over LDAP or a hung mount. */
export const STARTUP_PROBE_MS = 10_000;

/**
 * The passwd entry of a user name or numeric uid (NSS through `getent`), or undefined when there is none.
 * Throws FixableError `engine_user_lookup` (exit 2) when `getent` does not answer within `timeoutMs` (ms): an
 * unreachable directory service hung the agent's start for good before, and "no such user" would be wrong.
 */
export function lookupUser(user: string, timeoutMs = STARTUP_PROBE_MS): RunAs | undefined {
  let line: string;
  try {
    line = execFileSync("getent", ["passwd", user], { encoding: "utf8", timeout: timeoutMs, killSignal: "SIGKILL" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ETIMEDOUT") return undefined; // exit 2: no such entry
    throw new FixableError(
      "engine_user_lookup",
      `getent passwd ${user} did not answer within ${timeoutMs / 1000} s`,
      "check the host's name service (NSS, LDAP, sssd), or pass --engine-user with a local user",
      EXIT_USAGE,
    );
  }
  const [name, , uid, gid, , home] = (line.trim().split("\n")[0] ?? "").split(":");
  if (!name || !Number.isInteger(Number(uid)) || !Number.isInteger(Number(gid))) return undefined;
  return { name, uid: Number(uid), gid: Number(gid), home: home ?? "/" };
}

/**
 * `--engine-user` (or the config file's `engineUser`), else `nobody` when the agent is
 * root → the user engines run as; undefined = the agent's own user (not root, nothing
 * asked, or the agent's own user named explicitly). Throws FixableError (exit 2) for an unknown
 * user, for root as the engine user, and for a different user without root.
 */
export function resolveEngineUser(
  requested: string | undefined,
  selfUid: number,
  lookup: (user: string) => RunAs | undefined = lookupUser,
): RunAs | undefined {
  if (requested === undefined && selfUid !== 0) return undefined;
  const wanted = requested ?? "nobody";
  const user = lookup(wanted);
  if (!user)
    throw new FixableError(
      "engine_user",
      `no such user ${wanted} to run engines as`,
      "pass --engine-user NAME",
      EXIT_USAGE,
    );
  if (user.uid === selfUid) return undefined;
  if (user.uid === 0)
    throw new FixableError(
      "engine_user",
      "engines may not run as root",
      "pass --engine-user with an unprivileged user",
      EXIT_USAGE,
    );
  if (selfUid !== 0) {
    throw new FixableError(
      "engine_user",
      `running engines as ${user.name} needs the agent to run as root`,
      "run the agent as root, or drop --engine-user (the engine then runs as this user)",
      EXIT_USAGE,
    );
  }
  return user;
}

/** `dir` (and missing parents, mode 0755 so the engine user can traverse them) made, then owned by `as`. */
export function ownedDir(dir: string, as: RunAs | undefined): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (as) chownSync(dir, as.uid, as.gid);
}

/** A directory of the agent's that the engine user may enter but not change (mode 0755, agent-owned). */
export function sharedDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
}

/** Run `cmd args…` as `as`, stdio ignored; whether it exited 0 (false when it could not start). */
function asUser(as: RunAs, cmd: string, args: string[]): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const child = spawn(cmd, args, { uid: as.uid, gid: as.gid, stdio: "ignore" });
    child.once("error", () => resolve(false));
    child.once("exit", (code) => resolve(code === 0));
  });
}

/**
 * Remove a tree the engine user owns, as that user — and, as root, only the emptied directory itself, never a walk of
 * the tree: the engine user's processes may still run (what left its group and its mark: agent/engine-strays), and
 * one that swaps a directory for a link mid-walk made root's recursive removal delete wherever the link led. What an
 * engine made read-only (Go's module cache) gets its owner's write and search bits back, from the owner, first.
 * Without `as` (the agent is the engine's user): removed by the agent, throwing what `rmSync` throws (EACCES on such a
 * read-only directory: agent/workspace-removal makes it writable and tries again). With `as`: never throws or rejects;
 * what cannot go stays (a leftover is replaced by the next run of the job).
 */
export function removeTree(dir: string, as: RunAs | undefined): Promise<void> {
  if (!as) {
    rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  }
  return (async () => {
    // chmod -R follows no link it meets, and as that user changes nothing but that user's own files.
    if (!(await asUser(as, "rm", ["-rf", "--", dir])) && (await asUser(as, "chmod", ["-R", "u+rwx", "--", dir])))
      await asUser(as, "rm", ["-rf", "--", dir]);
    try {
      rmdirSync(dir); // it sits in one of the agent's directories (jobs/, trash/): only the agent can unlink it
    } catch {
      /* gone already, or not emptied: left */
    }
  })();
}

/**
 * Copy a regular file inside the engine user's tree as that user: as root, a planted symlink would redirect the write.
 * Without an engine user the engine is this very user (in the sandbox, agent/sandbox), so a link in its tree may
 * point where only the agent can read — the state dir: neither end is followed. Never waits on what is at `src`: a
 * FIFO an engine made there (`mkfifo .git/index`) blocked the agent's synchronous open — with an engine user, `cp`'s,
 * awaited synchronously — for good, and every seat's lease lapsed. So `src` is opened O_NONBLOCK and refused unless
 * fstat says regular file; as the engine user, it is refused unless lstat says so, and `cp -R -P` copies whatever an
 * engine swaps in after that check as what it is (a FIFO as a FIFO: never opened), which the copy's own check refuses.
 * The copy keeps the source's access and modification times: for a git index that is what git's racy-entry check
 * reads (an entry as new as its index file is re-read, not trusted by stat). A copy stamped "now" made every entry
 * look settled, so a same-size edit in the same clock tick as the last index write was missed by the checkpoint —
 * 4 of 150 final snapshots in a loop lost the engine's edit (agent/checkpoint `snapshot`).
 * A source over `maxBytes` (bytes; default unbounded) is refused from its descriptor's size, before it is read: the
 * copy without an engine user reads it whole into the agent's memory.
 * @throws Error (rejects) when the source is a symlink or not a regular file, over `maxBytes`, or the copy fails
 */
export async function copyAs(src: string, dst: string, as: RunAs | undefined, maxBytes = Infinity): Promise<void> {
  if (!as) {
    const fd = openSync(src, NO_FOLLOW_READ);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new Error(`cannot copy ${src}: not a regular file`);
      if (st.size > maxBytes) throw new Error(`cannot copy ${src}: over ${maxBytes} bytes`);
      rmSync(dst, { force: true });
      const out = openSync(dst, "wx"); // O_EXCL: never through a link planted meanwhile
      try {
        writeFileSync(out, readFileSync(fd));
        futimesSync(out, st.atime, st.mtime);
      } finally {
        closeSync(out);
      }
    } finally {
      closeSync(fd);
    }
    return;
  }
  const regular = (p: string) => {
    const st = lstatSync(p, { throwIfNoEntry: false });
    return st?.isFile() === true && st.size <= maxBytes;
  };
  if (!regular(src)) throw new Error(`cannot copy ${src}: not a regular file of at most ${maxBytes} bytes`);
  // -T: `dst` is the copy itself, never a directory to copy into.
  const copied = await asUser(as, "cp", ["-R", "-P", "-T", "--preserve=timestamps", "--", src, dst]);
  if (copied && regular(dst)) return;
  await asUser(as, "rm", ["-rf", "--", dst]);
  throw new Error(`cannot copy ${src} as ${as.name}: ${copied ? "not a regular file, or too large" : "cp failed"}`);
}

/** HOME for the engine user: its own home when it owns one, else `<workDir>/home` (created, owned by it). */
export function engineHome(as: RunAs, workDir: string): string {
  try {
    if (statSync(as.home).uid === as.uid) return as.home;
  } catch {
    /* `nobody` has /nonexistent */
  }
  const home = path.join(workDir, "home");
  ownedDir(home, as);
  return home;
}

/**
 * Start-up check that the engine user can work at all: reach the work dir and run
 * each engine's command. An unreachable checkout (e.g. under /root, mode 0700) would
 * otherwise fail every job. Returns what is wrong, or undefined. `reached`: the directory probed for the work dir
 * (itself, or before it is made its nearest existing parent: agent/engine-user-setup `assertEngineUserCanWork`).
 */
export function engineAccessProblem(
  as: RunAs,
  workDir: string,
  commands: readonly string[],
  timeoutMs = STARTUP_PROBE_MS,
  reached = workDir,
): string | undefined {
  // A path on a hung network mount blocks `cd`/`test` for good: each check is bounded and says so when cut.
  const probe = (script: string, ...args: string[]): true | "failed" | "timed out" => {
    const r = spawnSync("sh", ["-c", script, "sh", ...args], {
      uid: as.uid,
      gid: as.gid,
      stdio: "ignore",
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT") return "timed out";
    return r.status === 0 ? true : "failed";
  };
  const late = (what: string) =>
    `engine user ${as.name}'s check of ${what} did not finish within ${timeoutMs / 1000} s`;
  // The work dir is the agent's; the engine user needs to reach it (its subdirectories are then its own).
  const reach = probe('cd "$1"', reached);
  if (reach === "timed out") return late(`the work dir ${workDir} (a hung mount?)`);
  if (reach !== true) return `engine user ${as.name} cannot reach the work dir ${workDir}`;
  for (const cmd of commands) {
    if (!path.isAbsolute(cmd)) continue;
    const run = probe('test -x "$1"', cmd);
    if (run === "timed out") return late(`${cmd} (a hung mount?)`);
    if (run !== true) return `engine user ${as.name} cannot run ${cmd} (a parent directory may be private)`;
  }
  return undefined;
}
