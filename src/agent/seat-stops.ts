/**
 * @module agent/seat-stops
 * How agent/supervisor stops its seats: a drain (no new work; the running jobs waited for up to the drain timeout,
 * then checkpointed and given back) and a fatal stop (every engine stopped, those deaf to SIGTERM killed). Each takes
 * the supervisor's live seat map: a seat leaves it once finished.
 */
import { sleep } from "../shared/http-transport.ts";
import type { StopReason } from "./close-codes.ts";
import type { FactoryConnection } from "./connection.ts";
import { closedForGood } from "./lease-notices.ts";
import type { Output } from "./output.ts";
import type { SeatRunner } from "./seat-runner.ts";

/** 15 s: the longest a drain waits for the coordinator to take back released jobs before exiting anyway. */
const RELEASE_TIMEOUT_MS = 15_000;
/** 3 s: on a fatal close, time for engines to die (2 s grace + margin); then those left are SIGKILLed, and it exits. */
const FATAL_STOP_MS = 3_000;

/**
 * Drain for `signal`: tells the coordinator (no new work), waits up to `drainTimeoutMs` (ms) for the running jobs,
 * then releases those left and waits up to RELEASE_TIMEOUT_MS for the coordinator to take them. Never rejects.
 */
export async function drainSeats(
  seats: ReadonlyMap<string, SeatRunner>,
  conn: FactoryConnection,
  out: Output,
  signal: StopReason,
  drainTimeoutMs: number,
): Promise<void> {
  const jobs = `${seats.size} running job${seats.size === 1 ? "" : "s"}`;
  out.say("·", "draining", `${signal}: draining — no new work; ${jobs}, waiting up to ${drainTimeoutMs / 1000}s`);
  await conn.request({ type: "drain" }).catch(() => undefined);
  const all = () => Promise.all([...seats.values()].map((s) => s.finished));
  await Promise.race([all(), sleep(drainTimeoutMs)]);
  // One poll first: an engine's exit (or last output) waiting to be read is seen before the release judges it.
  await new Promise((resolve) => setImmediate(resolve));
  if (seats.size > 0) {
    const words = "checkpointing and giving back every job whose engine still runs (one that exited is reported)";
    out.say("·", "releasing", `drain timeout: ${words}`);
    await Promise.race([Promise.all([...seats.values()].map((s) => s.release("draining"))), sleep(RELEASE_TIMEOUT_MS)]);
  }
}

/**
 * The connection ended for good: abandon every seat (`why`: what ended it, in a few words; `lease`: what becomes of
 * each lease as far as that tells — agent/close-codes `ConnectionEnded`), wait up to FATAL_STOP_MS for their engines,
 * then kill those left (strays too). Never rejects.
 */
export async function stopSeats(seats: ReadonlyMap<string, SeatRunner>, why: string, lease: string): Promise<void> {
  const said = closedForGood(lease);
  const reason = `the coordinator closed this agent's connection for good (${why})`;
  for (const seat of seats.values()) seat.abandon(reason, false, said);
  await Promise.race([Promise.all([...seats.values()].map((s) => s.finished)), sleep(FATAL_STOP_MS)]);
  // Engines not done yet (deaf to SIGTERM, or their end waiting on a daemon holding stdout) die now, strays too.
  for (const seat of seats.values()) seat.forceStop();
}
