/**
 * @module test/support/cli-process
 * The real `gigafactory` as a child process (bin/gigafactory.mjs), for what only a process has — a real SIGINT, its
 * exit code: `startCli(argv, stdin?)` runs it with no config file and collects its output; `untilCli(run, what,
 * check)` waits for a state of it, refused once the process ended without that state.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/gigafactory.mjs", import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  stderr(): string;
  /** Whether the process has ended: a state waited for after it never comes. */
  ended(): boolean;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts the CLI on `argv`; `stdin` (text) is written to its standard input, which is then closed. */
export function startCli(argv: readonly string[], stdin?: string): CliProcess {
  const child = spawn(process.execPath, [BIN, ...argv], {
    stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    env: { ...process.env, GIGAFACTORY_CONFIG: "/nonexistent/config.json", NO_COLOR: "1" },
  });
  if (stdin !== undefined) child.stdin!.end(stdin);
  let stdout = "";
  let stderr = "";
  let ended = false;
  child.on("exit", () => {
    ended = true;
  });
  child.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString("utf8");
  });
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString("utf8");
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, stderr: () => stderr, ended: () => ended, exited };
}

/** Polls for a state of `run` (the test's timeout ends a hang); refused once the process ended without it. */
export async function untilCli(run: CliProcess, what: string, check: () => boolean): Promise<void> {
  while (!check()) {
    if (run.ended()) throw new Error(`the CLI ended before ${what}: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
