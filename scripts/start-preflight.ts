/**
 * @module scripts/start-preflight
 * What `npm start` and `npm run dev` check before they start anything, so a second one fails at once and says why
 * instead of taking the first one's demo over: the port must be free, and the local state directory theirs alone.
 *
 * One `npm start` or `npm run dev` per local state directory. A second one on the same state would start a second
 * workerd on the same SQLite files and a second pair of demo agents with the first pair's factory tokens, which
 * take each other's sockets over until one demo stops. The lock is a file, `<state root>/gigafactory.pid`, holding
 * the owner's pid and what it is; it is created exclusively, and removed when its owner exits. A lock left by a
 * process that crashed (its pid gone, or reused by something that is not one of these scripts) is stale and taken.
 */
import { existsSync, mkdirSync, rmdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { FETCH_BAD_PORTS } from "../src/shared/fetch-bad-ports.ts";
import { EXIT_USAGE, FixableError, failureText } from "../src/shared/fixable-error.ts";
import { takePidLock } from "../src/shared/pid-lock.ts";

export const LOCK_FILE = "gigafactory.pid";

/** The scripts that hold the lock: a live pid whose command line names neither is a reused pid, not an owner. */
const OWNERS = [/scripts\/start\.ts\b/, /scripts\/dev\.ts\b/];

/**
 * A start that cannot go ahead: the lock is held. Exit 2, as the agent's `state_in_use` (one code, one exit, whichever
 * program says it): like `bad_port`, a setting this start cannot run with — the fix is another GIGAFACTORY_LOCAL_STATE,
 * and `instead` (lockStateAndPort `elsewhere`) the whole line to run, its port too, when the caller knows it.
 */
function stateInUse(dir: string, owner?: { pid: number; what: string }, instead?: string): FixableError {
  const who = owner ? `${owner.what} (pid ${owner.pid})` : "another start";
  const how = owner ? `stop it (Ctrl-C in its terminal, or \`kill ${owner.pid}\`)` : "stop the other start";
  return new FixableError(
    "state_in_use",
    `${who} is already running on the local state in ${dir}`,
    `${how}, or ${instead ?? "give this one its own state with GIGAFACTORY_LOCAL_STATE=DIR"}`,
    EXIT_USAGE,
  );
}

/**
 * What `npm start` and `npm run dev` check first: the lock on the state `dir` (lockState), then `port` free
 * (assertPortFree). A start refused `state_in_use` is told to run `script` (`npm start`, `npm run dev`) with its own
 * state and a port free now (`elsewhere`): the first start almost always holds the port as well, and the fix that
 * named the state alone led only to `port_in_use` next. Resolves with the lock's release.
 * @throws FixableError state_in_use, state_dir_unusable, port_in_use (exit 2)
 */
export async function lockStateAndPort(dir: string, port: number, script: string): Promise<() => void> {
  const taken = tryLockState(dir);
  if ("held" in taken) throw stateInUse(dir, taken.held, await elsewhere(dir, port, script));
  await assertPortFree(port); // refused: the lock goes with the process, as it exits 2
  return taken.release;
}

/** Ports after the one asked for that `elsewhere` probes for a free one before it gives up and says PORT=N. */
const PORTS_PROBED = 20;

/**
 * The line to run instead: `GIGAFACTORY_LOCAL_STATE=<a tmp dir no start holds> PORT=<first free port from port> script`.
 * Ports fetch refuses (shared/fetch-bad-ports) are skipped; none free in PORTS_PROBED: `PORT=N`.
 */
async function elsewhere(dir: string, port: number, script: string): Promise<string> {
  let state = path.join(tmpdir(), "gf2");
  for (let n = 3; path.resolve(state) === path.resolve(dir) || existsSync(path.join(state, LOCK_FILE)); n++) {
    state = path.join(tmpdir(), `gf${n}`);
  }
  let free = "N";
  for (let p = port; p <= Math.min(65535, port + PORTS_PROBED); p++) {
    if (FETCH_BAD_PORTS.has(p)) continue;
    if (
      await assertPortFree(p).then(
        () => true,
        () => false,
      )
    ) {
      free = String(p);
      break;
    }
  }
  return `give this one its own state and port: \`GIGAFACTORY_LOCAL_STATE=${state} PORT=${free} ${script}\``;
}

/** What holds the lock, by its command line ("" when the system cannot say: no /proc and no ps). */
function ownerName(command: string): string {
  if (OWNERS[0]!.test(command)) return "`npm start`";
  return OWNERS[1]!.test(command) ? "`npm run dev`" : "another start";
}

/**
 * Takes the lock on `dir` for this process (created if missing) and returns the function that releases it; it is
 * also released when the process exits. Throws FixableError `state_in_use` while a live owner holds it, and
 * `state_dir_unusable` (the agent's name for the same refusal) when `dir` cannot be made or written; both exit 2. The lock itself
 * is shared/pid-lock's, the agent's too: a stale one (its owner crashed, or its pid reused by anything but these
 * scripts, or by a process started at another time) is taken over.
 */
export function lockState(dir: string): () => void {
  const taken = tryLockState(dir);
  if ("held" in taken) throw stateInUse(dir, taken.held);
  return taken.release;
}

/** lockState's work: the release, or `{ held }` naming the live owner (undefined when the system cannot say). */
function tryLockState(dir: string): { release: () => void } | { held: { pid: number; what: string } | undefined } {
  let taken: ReturnType<typeof takePidLock>;
  let made: string | undefined;
  try {
    for (let tries = 1; ; tries += 1) {
      try {
        made = mkdirSync(dir, { recursive: true });
        taken = takePidLock(path.join(dir, LOCK_FILE), (command) => OWNERS.some((re) => re.test(command)));
        break;
      } catch (err) {
        // Another start that made `dir` removed it, empty, on its way out (removeIfEmpty) after our mkdir found it:
        // nobody holds it, so make it again (a few times: a refused start never stays) rather than refuse ENOENT.
        if ((err as NodeJS.ErrnoException).code !== "ENOENT" || tries === 3) throw err;
      }
    }
  } catch (err) {
    // A file there, a directory it may not write, a read-only disk: the state's place is the fix, not `npm install`.
    throw new FixableError(
      "state_dir_unusable",
      `cannot keep the local state in ${dir}: ${(err as Error).message}`,
      "point GIGAFACTORY_LOCAL_STATE at a directory you can write (unset: .wrangler/ in the checkout)",
      EXIT_USAGE,
    );
  }
  if (taken.ok) {
    if (made === undefined) return { release: taken.release };
    const release = (): void => {
      taken.release();
      removeIfEmpty(dir, made);
    };
    process.once("exit", release);
    return { release };
  }
  return { held: taken.owner && { pid: taken.owner.pid, what: ownerName(taken.owner.command) } };
}

/**
 * The directories this start made for its state, `dir` up to `made` (mkdirSync's first one), removed while empty: a
 * start refused (`port_in_use`) or stopped before it wrote a thing left an empty GIGAFACTORY_LOCAL_STATE behind.
 */
function removeIfEmpty(dir: string, made: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (the state it kept), or gone already
    }
    if (d === made || path.dirname(d) === d) return;
  }
}

/**
 * Refuses a port something already listens on (127.0.0.1, where the runtime binds): FixableError `port_in_use`, exit 2
 * (a PORT this start cannot use, as `bad_port`). Without this a second start found the first one's coordinator
 * healthy on the port, took it for its own, and ran its demo against it.
 */
export function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EADDRINUSE" && err.code !== "EACCES") return reject(err);
      reject(
        new FixableError(
          "port_in_use",
          `127.0.0.1:${port} is ${err.code === "EACCES" ? "not ours to listen on" : "in use (another npm start or npm run dev?)"}`,
          "stop what listens there, or choose another port with PORT=N",
          EXIT_USAGE,
        ),
      );
    });
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

/**
 * Any failure of a start as its report (shared/fixable-error `failureText`): a refusal as its one line; anything else
 * as `code` with `fix`, the first line in the `✘ ERROR` line and the rest (a tool's output, e.g. wrangler's bundling
 * errors) below it.
 */
export function startFailureText(err: unknown, code: string, fix: string): string {
  return failureText(err, code, fix);
}

/**
 * The exit code of a start that failed with `err`: a FixableError's own (2 for a refusal above: a setting to change),
 * else 1. Both starts exited 1 for every failure, so `state_in_use` exited 1 from them and 2 from the agent.
 */
export function startFailureExit(err: unknown): number {
  return err instanceof FixableError ? err.exitCode : 1;
}

/** What to do about a `GF_SAMPLE_SECONDS` that `demoSampleSeconds` refuses. */
export const SAMPLE_FIX =
  "set GF_SAMPLE_SECONDS to how long each demo job works, 0 to 3600 s (e.g. 1), or unset it for 4";

/**
 * How long each demo job works, s: `GF_SAMPLE_SECONDS` (4 when unset), or undefined for text that is no number from
 * 0 to 3600 — the sample engine took "abc" as NaN and reported a run of "NaNs" at a NaN cost.
 */
export function demoSampleSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return 4;
  // Decimal digits only: Number() also reads "0x10" as 16 and "1e3" as 1000.
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 3600 ? n : undefined;
}
