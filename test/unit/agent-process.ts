// The real `gigafactory-agent` process for unit tests that check what an operator sees: its exit code and its
// output. The environment is hermetic — the runner's own GIGAFACTORY_* variables never reach it — plus `env`.
import { spawn, spawnSync } from "node:child_process";
import { userInfo } from "node:os";
import path from "node:path";
import { pidAlive } from "../../src/shared/pid-lock.ts";

export const AGENT_BIN = path.resolve(import.meta.dirname, "../../bin/gigafactory-agent.mjs");

const CLEARED = { GIGAFACTORY_URL: "", GIGAFACTORY_PRODUCT: "", GIGAFACTORY_FACTORY_TOKEN: "" };

/** Runs the agent with `args` to its exit: `out` is stdout and stderr as they came, `stderr` stderr alone. */
export function runAgent(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; stderr: string }> {
  const p = spawn(process.execPath, [AGENT_BIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...CLEARED, ...env },
  });
  let out = "";
  let stderr = "";
  p.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  p.stderr.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    stderr += d;
  });
  return new Promise((r) => p.once("exit", (code) => r({ code, out, stderr })));
}

/**
 * Starts the agent with `args` and leaves it running: `out()` is its output so far, `events()` its `--json` lines so far
 * (parsed; other lines skipped), `code()` its exit code once it has exited, `exited` that code awaited, `stop`
 * sends `signal` (default SIGTERM: a drain) and waits for the exit.
 */
/** One line of the agent's `--json` output: its event, message and the event's own fields. */
export type AgentEvent = { event: string; message: string; [field: string]: unknown };

export function startAgent(args: readonly string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [AGENT_BIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...CLEARED, ...env },
  });
  let out = "";
  for (const stream of [child.stdout, child.stderr])
    stream.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return {
    pid: child.pid as number,
    out: () => out,
    events: () =>
      out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as AgentEvent),
    code: () => child.exitCode ?? undefined,
    exited,
    /** Close the reading ends of its stdout and stderr, as a log shipper that died would. */
    closeOutput: () => {
      child.stdout.destroy();
      child.stderr.destroy();
    },
    stop: async (signal: NodeJS.Signals = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A factory token of the right shape for product `acme`; nothing accepts it (the agents here run offline). */
export const OFFLINE_TOKEN = `gf_acme_${"T".repeat(43)}`;
const SAMPLE = path.resolve(import.meta.dirname, "../../examples/engines/sample-engine.mjs");

/**
 * `run` on `stateDir` against a port nothing listens on (127.0.0.1:2; not 9, a port fetch refuses: shared/fetch-bad-ports): it keeps reconnecting, holding its state dir
 * and printing a line each time. Its own user runs engines (no engine user to set up under root); none ever runs.
 */
export const offlineRunArgs = (stateDir: string): string[] => [
  "run",
  "--state-dir",
  stateDir,
  "--url",
  "http://127.0.0.1:2",
  "--token",
  OFFLINE_TOKEN,
  "--engine-user",
  userInfo().username,
  "--engine",
  `sample=${process.execPath} ${SAMPLE}`,
];

/** The pid of a process that has exited, for a leftover named after a dead pid (checked: not reused meanwhile). */
export function deadPid(): number {
  const pid = spawnSync(process.execPath, ["-e", ""]).pid as number;
  if (pidAlive(pid)) throw new Error(`pid ${pid} was reused at once`);
  return pid;
}
