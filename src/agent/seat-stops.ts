/**
 * @module agent/seat-stops
 * How agent/supervisor stops its seats: a drain (no new work; the running jobs waited for up to the drain timeout,
 * then checkpointed and given back), a forced stop (a second signal: engines killed now, a report under way given a
 * short while) and a fatal stop (every engine stopped, those deaf to SIGTERM killed). A run whose engine had exited and
 * is reporting is finished work: the last two keep it for the restart when they cannot wait for its report
 * (agent/seat-run-end `stopForExit`) — unless the close says the lease ended, when no restart can report it. Each takes the supervisor's live seat map: a seat leaves it once finished.
 */
import { counted } from "../core/counted.ts";
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
 * 10 s: how long a second stop signal waits for the reports under way (final checkpoint, uploads, `complete`) — one
 * round trip and a usual push; whoever sends it wants the agent gone now. One slower is kept for the restart.
 */
export const REPORT_WAIT_MS = 10_000;

/** The seats as a drain's or a forced exit's line counts them: engines running, and runs reporting their end. */
function tally(seats: ReadonlyMap<string, SeatRunner>): { running: number; reporting: number; words: string } {
  const reporting = [...seats.values()].filter((s) => s.reporting).length;
  const running = seats.size - reporting;
  const words =
    reporting === 0
      ? counted(running, "running job")
      : `${counted(seats.size, "job")} (${running} running, ${reporting} reporting)`;
  return { running, reporting, words };
}

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
  const { running, reporting, words } = tally(seats); // a run reporting its end is not a running engine
  const text = `${signal}: draining — no new work; ${words}, waiting up to ${drainTimeoutMs / 1000}s`;
  out.say("·", "draining", text, { running, reporting });
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
 * The connection ended for good: abandon every seat (`ended.ended`: what ended it, in a few words; `ended.leases`: what
 * becomes of each lease as far as that tells — agent/close-codes `ConnectionEnded`), wait up to FATAL_STOP_MS for their
 * engines, then kill those left (strays too). A run reporting is kept for the restart while `ended.leaseMayStay`; once
 * the lease ended (a factory removed, a token revoked: the job requeued) no restart can report it, so it is given up
 * and its files removed — kept, they stayed on disk for ever. Never rejects.
 */
export async function stopSeats(
  seats: ReadonlyMap<string, SeatRunner>,
  ended: { ended: string; leases: string; leaseMayStay: boolean },
): Promise<void> {
  const said = closedForGood(ended.leases);
  const reason = `the coordinator closed this agent's connection for good (${ended.ended})`;
  for (const seat of seats.values()) {
    if (ended.leaseMayStay)
      seat.stopForExit(reason, said); // a run reporting: kept for the restart
    else seat.giveUpForExit(reason, said);
  }
  await Promise.race([Promise.all([...seats.values()].map((s) => s.finished)), sleep(FATAL_STOP_MS)]);
  // Engines not done yet (deaf to SIGTERM, or their end waiting on a daemon holding stdout) die now, strays too.
  for (const seat of seats.values()) seat.forceStop();
}

/**
 * A second stop signal during a drain: every engine still running is killed now (agent/seat-run-end `forceStop`); the
 * runs reporting their end get up to REPORT_WAIT_MS to deliver it over the open socket, or until the function given
 * to `onHurry` is called (a third signal: said, and the wait ends); those still reporting then are kept for the
 * restart. Said first, with what it waits for. Never rejects.
 */
export async function forceStopSeats(
  seats: ReadonlyMap<string, SeatRunner>,
  out: Output,
  signal: StopReason,
  onHurry: (hurry: (again: StopReason) => void) => void,
): Promise<void> {
  const hurried = new Promise<void>((resolve) =>
    onHurry((again) => {
      out.say("✘", "exit.forced", `another ${again}: exiting now; a report still under way is kept for the restart`);
      resolve();
    }),
  );
  const reporting = [...seats.values()].filter((s) => s.reporting);
  const jobs = reporting.map((s) => `${s.jobId}'s`).join(", ");
  const wait = `${jobs} report${reporting.length === 1 ? " is" : "s are"} delivered (up to ${REPORT_WAIT_MS / 1000}s;`;
  const text = reporting.length === 0 ? "exiting now" : `exiting once ${wait} another signal exits at once)`;
  out.say("✘", "exit.forced", `second ${signal}: ${text}`, { reporting: reporting.map((s) => s.jobId) });
  for (const seat of seats.values()) if (!seat.reporting) seat.forceStop();
  if (reporting.length > 0) {
    await Promise.race([Promise.all(reporting.map((s) => s.finished)), sleep(REPORT_WAIT_MS), hurried]);
  }
  for (const seat of seats.values()) seat.forceStop(); // a report still under way: kept for the restart
}
