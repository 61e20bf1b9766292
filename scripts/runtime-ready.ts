/**
 * @module scripts/runtime-ready
 * How the local runtime (scripts/local-runtime) tells the process that started it (scripts/local-server) that it
 * serves, or why it cannot: a line on a pipe of its own (fd READY_FD) once Miniflare is ready, and exit code
 * EXIT_PORT_IN_USE, after a `✘ ERROR port_in_use` line, when its port was taken.
 *
 * Why not the health endpoint alone: it answers for whatever listens on the port. A port taken between a start's
 * preflight (scripts/start-preflight assertPortFree) and its runtime's bind — another `npm start` on another state,
 * still bundling when this one checked it — was answered by that other coordinator, and this start took it for its
 * own: its demo created its product and enrollment codes there and deregistered that demo's factories by name
 * (scripts/demo-agent-state forgetUnsavedFactories) before its own runtime's exit was noticed.
 */
import type { ChildProcess } from "node:child_process";
import { closeSync, writeSync } from "node:fs";
import type { Readable } from "node:stream";
import { EXIT_USAGE, FixableError } from "../src/shared/fixable-error.ts";

/** The runtime's fourth stdio slot: 0–2 are its output, which `verbose` passes straight to the terminal. */
export const READY_FD = 3;
/** 3: not 1 (any failure: a stack, a migration) nor 2 (usage); the one exit its starter turns into `port_in_use`. */
export const EXIT_PORT_IN_USE = 3;
const READY_LINE = "ready\n";

/** In the runtime, once it serves: says so on `fd`, when its starter gave it one (`--ready-fd`), and closes it. */
export function signalReady(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    writeSync(fd, READY_LINE);
    closeSync(fd);
  } catch {
    /* the starter is gone: the runtime's parent watch stops it */
  }
}

/**
 * In the starter: a function telling whether `child` (spawned with a pipe at READY_FD) has said it serves. Until it
 * has, an answer on its port is someone else's.
 */
export function readyFlag(child: ChildProcess): () => boolean {
  let ready = false;
  let seen = "";
  const pipe = child.stdio[READY_FD] as Readable | null | undefined;
  pipe?.on("error", () => undefined);
  pipe?.on("data", (d: Buffer) => {
    seen += d;
    if (!seen.includes(READY_LINE)) return;
    ready = true;
    pipe.destroy(); // nothing more comes: it must not keep the starter's event loop alive
  });
  return () => ready;
}

/** What a start reports when its runtime could not listen on `port`: exit 2, as start-preflight's `port_in_use`. */
export function portTaken(port: number): FixableError {
  return new FixableError(
    "port_in_use",
    `127.0.0.1:${port} was taken while the coordinator was starting (another npm start or npm run dev?)`,
    "stop what listens there, or choose another port with PORT=N",
    EXIT_USAGE,
  );
}
