/**
 * @module test/support/cli-interrupt
 * Ctrl-C (or SIGTERM) in-process, for a command whose one request is out: `holdingCoordinator()` is a stand-in
 * coordinator that holds every POST until the test answers it (`held`) and answers any read 404;
 * `startInterruptible(argv)` runs cli/run's `runCli` on an Io whose onInterrupt the test presses (`ctrlC`, `sigterm`),
 * as cli/main's first SIGINT or SIGTERM calls `stop` with the signal.
 */
import type { Io } from "../../src/cli/context.ts";
import type { InterruptSignal } from "../../src/cli/interruption.ts";
import { runCli, type StubReply, type StubRequest, stubCoordinator } from "./cli-harness.ts";

/** A coordinator that holds each POST (its request and reply, in arrival order); any other request is answered 404. */
export async function holdingCoordinator() {
  const held: Array<{ req: StubRequest; reply: StubReply }> = [];
  const stub = await stubCoordinator((req, reply) => {
    if (req.method === "POST") held.push({ req, reply });
    else reply.problem(404, { type: "x", title: "t", status: 404, detail: "nope", code: "not_found" });
  });
  return { stub, held };
}

/** runCli in-process, its output captured, on an Io whose Ctrl-C (or SIGTERM) the test presses. */
export function startInterruptible(argv: string[]) {
  let [stdout, stderr] = ["", ""];
  const stops = new Set<(signal: InterruptSignal) => void>();
  const io: Io = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
    env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/config.json" },
    now: () => 1_700_000_000_000,
    onInterrupt: (stop) => {
      stops.add(stop);
      return () => stops.delete(stop);
    },
  };
  let ended = false;
  const code = runCli(argv, io).finally(() => {
    ended = true;
  });
  return {
    code,
    /** Polls for a state (the test's timeout ends a hang); refused once the command ended without it. */
    async until(what: string, check: () => boolean): Promise<void> {
      while (!check()) {
        if (ended) throw new Error(`the command ended before ${what}: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /** Presses Ctrl-C: each listener the command has on (none: nothing happens, as a process would die instead). */
    ctrlC: () => {
      for (const stop of [...stops]) stop("SIGINT");
    },
    /** Sends SIGTERM (`timeout`, a cancelled CI job) to each listener the command has on, as ctrlC does SIGINT. */
    sigterm: () => {
      for (const stop of [...stops]) stop("SIGTERM");
    },
    /** How many Ctrl-C listeners are on: 0 once the command ended, when it took its listener off. */
    listening: () => stops.size,
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

/**
 * Starts `argv`, waits for its one POST to be held, and presses Ctrl-C (or sends `signal`); `reply` answers that POST.
 */
export async function interruptedPost(argv: (url: string) => string[], signal: InterruptSignal = "SIGINT") {
  const { stub, held } = await holdingCoordinator();
  const run = startInterruptible(argv(stub.url));
  await run.until("the POST held", () => held.length === 1);
  if (signal === "SIGINT") run.ctrlC();
  else run.sigterm();
  return { run, stub, req: held[0]!.req, reply: held[0]!.reply };
}
