/**
 * @module cli/interruption
 * The signals a guarded command survives once — Ctrl-C (SIGINT) and SIGTERM (`timeout 30 gigafactory …`, a cancelled
 * CI job, a supervisor stopping a script) — and how its lines name them. Where a request that makes paid work or a
 * secret shown once is out (cli/request-interrupt, cli/submit-interrupt, cli/commands/*-interrupt), the first of
 * either is the command's to handle: it says what is on its way, awaits the answer and ends `✘ ERROR interrupted`
 * with the signal's exit code, 128 + its number (130 for SIGINT, 143 for SIGTERM: what a shell reports). A second, of
 * either kind, ends the process at once (cli/main). Only SIGINT was guarded: SIGTERM ended the CLI at once, a
 * rotation made on the coordinator with its new token never printed. Commands with no guard still end at once.
 */
import { DEFAULT_TIMEOUT_SECONDS, responseTimeoutMs, waitMsFromEnv } from "./config.ts";
import type { Ctx } from "./context.ts";

/** The signals a guarded command survives once. */
export type InterruptSignal = "SIGINT" | "SIGTERM";

/** Both, in the order cli/main listens for them. */
export const INTERRUPT_SIGNALS: readonly InterruptSignal[] = ["SIGINT", "SIGTERM"];

/** What the shell reports for a process ended by SIGINT (128 + 2): a guarded command ends with it after Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

/** What the shell reports for a process ended by SIGTERM (128 + 15): a guarded command ends with it after SIGTERM. */
export const EXIT_TERMINATED = 143;

/** The help's line for each guarded command, after its Ctrl-C sentences: SIGTERM is guarded the same way. */
export const SIGTERM_HELP =
  "SIGTERM (`timeout`, a cancelled CI job) does as Ctrl-C, but exits 143; a second signal of either kind ends at once; " +
  `under --timeout 0 the wait after the first is ${DEFAULT_TIMEOUT_SECONDS} s at most.`;

/** The first signal that stopped a guarded command, in the words its lines use. */
export interface Interruption {
  signal: InterruptSignal;
  /** How its lines name it: `Ctrl-C` (what sends SIGINT from a terminal), `SIGTERM`. */
  by: string;
  /** What ends the command at once from now on: `Ctrl-C again`, `another SIGTERM or Ctrl-C`. */
  again: string;
  /** The exit code the command ends with: EXIT_INTERRUPTED (SIGINT) or EXIT_TERMINATED (SIGTERM). */
  exitCode: number;
}

/** The Interruption of `signal`. */
export function interruptionBy(signal: InterruptSignal): Interruption {
  return signal === "SIGTERM"
    ? { signal, by: "SIGTERM", again: "another SIGTERM or Ctrl-C", exitCode: EXIT_TERMINATED }
    : { signal, by: "Ctrl-C", again: "Ctrl-C again", exitCode: EXIT_INTERRUPTED };
}

/**
 * How long a command may still run after the first signal when its own requests have no bound (`--timeout 0` or
 * GIGAFACTORY_TIMEOUT=0: "no limit"), ms: `timeout 30 gigafactory …` sends SIGTERM once, and a wait with no bound
 * outlived it for ever (pass 46 review). The CLI's default --timeout (cli/config DEFAULT_TIMEOUT_SECONDS: 30 s).
 */
export const UNBOUNDED_AFTER_SIGNAL_MS = DEFAULT_TIMEOUT_SECONDS * 1000;

/**
 * The bound (ms) on what a command still awaits after the first signal: none needed when --timeout bounds it;
 * UNBOUNDED_AFTER_SIGNAL_MS, or GIGAFACTORY_AFTER_SIGNAL_MS where it is a whole number of ms (cli/config
 * waitMsFromEnv: tests' override, so that proving the bound ends the process does not take 30 s).
 */
function boundAfterSignal(ctx: Ctx): number | undefined {
  const unbounded = waitMsFromEnv(ctx.io.env, "GIGAFACTORY_AFTER_SIGNAL_MS", UNBOUNDED_AFTER_SIGNAL_MS);
  try {
    return responseTimeoutMs(ctx.str("timeout"), ctx.io.env) === 0 ? unbounded : undefined;
  } catch {
    return undefined; // a --timeout the command refused: it ends on that usage error before any request
  }
}

/**
 * Listens for Ctrl-C or SIGTERM while work is out: `stopped()` is the first's Interruption from then on (undefined
 * before it), `when` resolves with it (to race a wait that may never end: a read of a pipe), and `onStop` runs with
 * it; `off()` stops listening. Under `--timeout 0` the process itself ends UNBOUNDED_AFTER_SIGNAL_MS after the signal
 * if still running (cli/main). Without a process that can be signalled (Io.onInterrupt absent: in-process tests) it
 * never stops.
 */
export function listenForInterrupt(
  ctx: Ctx,
  onStop: (how: Interruption) => void,
): { stopped(): Interruption | undefined; when: Promise<Interruption>; off(): void } {
  let stopped: Interruption | undefined;
  let resolve: (how: Interruption) => void = () => {};
  const when = new Promise<Interruption>((r) => {
    resolve = r;
  });
  const off =
    ctx.io.onInterrupt?.((signal) => {
      stopped = interruptionBy(signal);
      onStop(stopped);
      resolve(stopped);
    }, boundAfterSignal(ctx)) ?? (() => {});
  return { stopped: () => stopped, when, off };
}
