/**
 * @module agent/git
 * One way to run git: argv only (no shell), never prompting for credentials
 * (a private repo must fail fast, not hang a seat: agent/git-env), with a fixed identity for
 * the agent's own commits so hosts without `user.email` still checkpoint.
 * Transports are allow-listed (no `ext::`/`fd::` helpers, even through a submodule
 * or a redirect), and callers put `--` before positional arguments that come from
 * a job. Inside the engine's files git runs as the engine's user (`as`) with the
 * engine's allow-listed environment: repository config there is engine-written,
 * and git obeys config (`core.fsmonitor`, filters) by running commands. When engines
 * run as the agent's own user in the bubblewrap sandbox instead, every git command runs
 * in that sandbox too (`runGitInSandbox`): the engine can write any config git reads
 * (the workspace's, ~/.gitconfig), so only the sandbox keeps what it runs from the state dir.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import type { RunAs } from "./engine-user.ts";
import { GIT_STALLED, GIT_TIMEOUT, gitLocalTimeoutMs, watchGit } from "./git-bounds.ts";
import { gitEnv, hideUserinfo, NO_TERMINAL } from "./git-env.ts";
import { gitReason } from "./git-message.ts";
import { NEUTRAL_CONFIG } from "./git-neutral.ts";
import { type Sandbox, sandboxedArgv } from "./sandbox.ts";
import { clearNamedStaleLock } from "./stale-locks.ts";

/**
 * Every git error says what failed with the userinfo of each URL in it hidden (`https://…@host/…`). `code` is
 * `git_timeout` for a command stopped at its bound, `git_stalled` for one stopped at its silence bound
 * (agent/git-bounds), else undefined.
 */
export class GitError extends Error {
  readonly args: readonly string[];
  readonly stderr: string;
  readonly code?: string;
  constructor(args: readonly string[], stderr: string, message: string, code?: string) {
    super(hideUserinfo(message));
    this.name = "GitError";
    this.args = args;
    this.stderr = hideUserinfo(stderr);
    if (code !== undefined) this.code = code;
  }
}

/** 256 MiB: a diff or log larger than this is not something we upload anyway. */
const MAX_OUTPUT = 256 * 1024 * 1024;

export interface GitOptions {
  cwd?: string;
  /** Run as this user (the engine's), with the engine's environment; undefined = the agent itself. */
  as?: RunAs;
  env?: Record<string, string>;
  /** Return stdout untrimmed (patches must keep their final newline). */
  raw?: boolean;
  /** Written to git's stdin (`--stdin`, `--pathspec-from-file=-`): path lists too long for an argv. */
  input?: string;
  /** Stop git (its whole process group) once it has written nothing for this long, ms (agent/git-remote). */
  stallMs?: number;
  /** Stop git (its whole process group) once it has run this long in all, ms; default agent/git-bounds' local one. */
  timeoutMs?: number;
}

/** The sandbox every git command of this process runs in (agent/sandbox); set once at start-up. */
let gitSandbox: Sandbox | undefined;

/**
 * From now on, run git inside `box` (undefined: directly). The agent calls it at start-up when engines run as its
 * own user in the sandbox, where they could otherwise plant config that git, run outside it, obeys.
 */
export function runGitInSandbox(box: Sandbox | undefined): void {
  gitSandbox = box;
}

function gitArgv(args: readonly string[]): [string, string[]] {
  const argv = ["git", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", ...NEUTRAL_CONFIG, ...args];
  const [cmd, ...rest] = gitSandbox ? sandboxedArgv(argv, gitSandbox) : argv;
  return [cmd as string, rest];
}

function ids(opts: GitOptions): { uid?: number; gid?: number } {
  return opts.as ? { uid: opts.as.uid, gid: opts.as.gid } : {};
}

/** `git args…` → stdout (trimmed unless `raw`); a non-zero exit → GitError with git's own message. */
export async function git(args: readonly string[], opts: GitOptions = {}): Promise<string> {
  const out = await runGit(args, opts, MAX_OUTPUT, opts.input ?? "");
  if (out.over) throw new GitError(args, "", `git ${args.join(" ")}: output over ${MAX_OUTPUT} bytes`);
  const text = out.bytes.toString("utf8");
  return opts.raw ? text : text.trim();
}

export interface CappedOutput {
  /** stdout's bytes exactly as git wrote them (no decoding: a patch of Latin-1 files must stay Latin-1). */
  bytes: Buffer;
  /** True when stdout ran past `maxBytes`: `bytes` is empty, git was stopped, nothing more was read. */
  over: boolean;
}

/**
 * `git args…` → stdout as bytes, read up to `maxBytes` (bytes) and no further: past it git is killed and `over`
 * is true, so a huge patch costs at most `maxBytes` of memory. A non-zero exit (other than our own kill) → GitError.
 */
export function gitBytes(args: readonly string[], opts: GitOptions, maxBytes: number): Promise<CappedOutput> {
  return runGit(args, opts, maxBytes, undefined);
}

/** The last 1 MiB of git's stderr kept: the message is its last lines, and a lock clash is read from it. */
const MAX_STDERR = 1024 * 1024;

/** Run git (spawn, not execFile: execFile drops NO_TERMINAL's `detached`); `input` written to stdin, or none. */
function runGit(
  args: readonly string[],
  opts: GitOptions,
  maxBytes: number,
  input: string | undefined,
): Promise<CappedOutput> {
  const [cmd, rest] = gitArgv(args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, rest, {
      cwd: opts.cwd,
      ...ids(opts),
      env: gitEnv(opts.as, { ...ceiling(opts.cwd), ...opts.env }),
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      ...NO_TERMINAL,
    });
    const chunks: Buffer[] = [];
    const errChunks: Buffer[] = [];
    let size = 0;
    let errSize = 0;
    let over = false;
    // Git and what it started (a transport helper, ssh) share its process group (NO_TERMINAL: its own): all go. Its
    // pipes are closed on our side too, so a process that left the group holding them cannot keep `close` away.
    const timeoutMs = opts.timeoutMs ?? gitLocalTimeoutMs();
    const watch = watchGit(child, { stallMs: opts.stallMs, timeoutMs }, () => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    });
    const heard = () => watch.heard();
    child.stdout?.on("data", (c: Buffer) => {
      heard();
      if (over) return;
      size += c.length;
      if (size > maxBytes) {
        over = true;
        chunks.length = 0;
        child.kill("SIGKILL");
      } else chunks.push(c);
    });
    child.stderr?.on("data", (c: Buffer) => {
      heard();
      errChunks.push(c);
      errSize += c.length;
      // The last MiB: git's message comes after whatever progress it wrote.
      while (errSize - (errChunks[0]?.length ?? 0) >= MAX_STDERR) errSize -= (errChunks.shift() as Buffer).length;
    });
    const stderr = () => Buffer.concat(errChunks).toString("utf8");
    child.on("error", (err) => {
      watch.clear();
      reject(new GitError(args, stderr(), `git ${args.join(" ")}: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      watch.clear();
      if (over) return resolve({ bytes: Buffer.alloc(0), over: true });
      const stopped = watch.stopped();
      if (stopped === "stall") {
        const why = `stopped after ${(opts.stallMs ?? 0) / 1000} s without a word (the remote does not answer)`;
        return reject(new GitError(args, stderr(), `git ${args.join(" ")}: ${why}`, GIT_STALLED));
      }
      if (stopped === "timeout") {
        const why = `still running after ${timeoutMs / 1000} s: stopped, with all it started`;
        return reject(new GitError(args, stderr(), `${GIT_TIMEOUT}: git ${args.join(" ")}: ${why}`, GIT_TIMEOUT));
      }
      if (code !== 0) {
        // git's last lines, led by the one that says why (agent/git-message), not a progress meter's states.
        const why = gitReason(stderr()) || `exit ${code ?? signal}`;
        return reject(new GitError(args, stderr(), `git ${args.join(" ")}: ${why}`));
      }
      resolve({ bytes: Buffer.concat(chunks), over: false });
    });
    // An EPIPE (git exited before reading it all) is reported by the exit above, not as an unhandled error.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input);
  });
}

/**
 * Git never looks for a repository above the directory it runs in (every caller runs it at a repository's top: a
 * workspace, a mirror): an engine that removed its workspace's `.git` otherwise had the agent's checkpoint commit,
 * `reset` and push in whatever repository encloses the work dir (the demo's checkout, a home dir kept in git).
 */
function ceiling(cwd: string | undefined): Record<string, string> {
  return cwd === undefined ? {} : { GIT_CEILING_DIRECTORIES: path.dirname(path.resolve(cwd)) };
}

/** True when git exits 0 (for questions such as `merge-base --is-ancestor`). */
export async function gitOk(args: readonly string[], opts: GitOptions = {}): Promise<boolean> {
  try {
    await git(args, opts);
    return true;
  } catch {
    return false;
  }
}

/** Serialises operations on one repository within this process (clone, fetch, worktree add touch shared refs). */
export class RepoLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Whether `key`'s lock is held or waited on (agent/mirror-eviction leaves such a repository alone). */
  busy(key: string): boolean {
    return this.tails.has(key);
  }
}

/**
 * Retries an operation that another process may hold a git lock for (two agents sharing a mirror). A lock under
 * `ownRepos` (the agent's own repositories, owned by `as`) that no git process has held for STALE_LOCK_MS is a
 * crashed one's: it is removed before the next try (agent/stale-locks), instead of failing every later operation.
 */
export async function withLockRetry<T>(
  fn: () => Promise<T>,
  attempts = 4,
  ownRepos: readonly string[] = [],
  as?: RunAs,
): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const lockClash = err instanceof GitError && /\.lock|cannot lock|Unable to create/i.test(err.stderr);
      if (!lockClash || i + 1 >= attempts) throw err;
      clearNamedStaleLock(err.stderr, ownRepos, Date.now(), as);
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 800)); // 0.2–1 s: another agent's fetch is short
    }
  }
}
