/**
 * @module agent/engine-strays
 * What an engine started outside its process group. The engine runner stops an engine by signalling its group
 * (agent/engine-runner), but a process that calls setsid() leaves it: every daemon does (`pg_ctl start`,
 * `redis-server --daemonize yes`, `setsid cmd &`, a dev server's "detached" mode), and it ran on after the job —
 * for a server, forever, one more per job, holding its port and its memory.
 *
 * Such a process is found by a mark in its environment: the runner gives each engine `GF_ENGINE_RUN=<random>`, which
 * every process it starts inherits whatever its session or group, and `/proc/<pid>/environ` shows it (the memory its
 * environment was given at exec). Linux only, and only the processes the agent may read, which are the engine's (its
 * own user, or the engine user when the agent is root). Best effort: a child started with `env -i` carries no mark,
 * and a process that sets its title over that memory loses it (redis, postgres and nginx do, as does perl's `$0 =`).
 * What a sandboxed engine starts needs no mark: it dies with the sandbox's PID namespace (agent/sandbox). A recycled
 * pid is never hit: the mark is random per engine.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

/** The environment variable that marks every process of one engine run. */
export const RUN_MARK_VAR = "GF_ENGINE_RUN";

/** 5 passes: a process forking as it is killed can add children between two reads of /proc; each pass takes them. */
const PASSES = 5;

/** A fresh mark for one engine run: 128 random bits, so no other process carries it by chance. */
export function newRunMark(): string {
  return randomBytes(16).toString("hex");
}

/** The mark in process `pid`'s environment (an engine an earlier agent process started), or undefined. */
export function runMarkOf(pid: number): string | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
    const found = env.find((v) => v.startsWith(`${RUN_MARK_VAR}=`))?.slice(RUN_MARK_VAR.length + 1);
    return found && /^[0-9a-f]{32}$/.test(found) ? found : undefined;
  } catch {
    return undefined; // gone, or not ours to read
  }
}

/** The live processes (not zombies, not this one) whose environment holds `RUN_MARK_VAR=mark`. */
export function markedProcesses(mark: string): number[] {
  if (process.platform !== "linux") return [];
  const needle = Buffer.from(`\0${RUN_MARK_VAR}=${mark}\0`);
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      // A leading NUL, so the mark is matched as a whole variable, also when it is the first one.
      const env = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${name}/environ`)]);
      if (!env.includes(needle)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2))) continue; // exited; only its reaping is left
      out.push(Number(name));
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return out;
}

/** SIGKILL every live process marked `mark`, pass after pass until none is left (at most PASSES). Returns the count. */
export function killMarked(mark: string): number {
  const killed = new Set<number>();
  for (let pass = 0; pass < PASSES; pass++) {
    const found = markedProcesses(mark);
    if (found.length === 0) break;
    for (const pid of found) {
      try {
        process.kill(pid, "SIGKILL");
        killed.add(pid);
      } catch {
        /* gone already, or not ours */
      }
    }
  }
  return killed.size;
}
