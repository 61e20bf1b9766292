/**
 * @module durable-objects/coordinator/outbox/outage-probe
 * The sends readers' flushes make per outage backoff window (outbox/shipper `flushFeed`): one for all the feeds the
 * outage round found refusing, one for each other feed read. A reader's flush is its gate's probe, readers of the same
 * gate meanwhile wait for its answer (within PROBE_WAIT_MS), and once it is refused the window's later readers of
 * that gate send nothing.
 */
import { windowRetryAfterSeconds } from "../../../core/delivery-outage.ts";
import type { FlushResult } from "./feed-flush.ts";

/**
 * How long a probe is waited for (ms): past it, the probe counts as refused for its window and its readers are
 * answered so (a stub call that never settles held every later reader of the window, and the next window's, for
 * ever). Twice a flush's own budget (outbox/feed-flush FLUSH_BUDGET_MS, 5 s: a probe its feed takes ships for that
 * long, its last call after), and a third of blockConcurrencyWhile's 30 s, inside which an artifact commit probes.
 */
export const PROBE_WAIT_MS = 10_000;

/** One gate's probe in one window: the flush probing it while it runs, and whether it was refused. */
interface Gate {
  running: Promise<FlushResult | undefined> | null;
  refused: boolean;
}

/** The gate shared by the feeds the outage round found refusing: a key no job id is. */
const ROUND = Symbol("the outage round's feeds");

/**
 * Gates a coordinator's reader flushes during its outage backoff. Without it, every reader opening a feed during the
 * backoff made one refused send — many readers, a storm of them, the very thing the backoff keeps the rounds from.
 * What an outage says is decided here: the round that began it found every destination it tried refusing, so the
 * feeds it tried — they refused together, and one RPC cannot tell a refusing object from a runtime refusing it
 * (core/delivery-outage) — share one probe a window, as the rounds would make one send a window to each of them. A
 * feed the round did not try is not known to refuse: its reader's flush depends on its own feed only, one probe of
 * its own a window. One coordinator-wide probe held a healthy feed's reader behind a broken feed's call, and refused
 * it (503, up to 128 s) once that feed refused. A probe that is taken ends the outage (the shipper ends the
 * backoff), so at most one send more per feed a window than the rounds make. In memory, as the backoff.
 */
export class OutageProbe {
  /** The feeds (job ids) the last outage round found refusing: they share one gate. */
  private refusing = new Set<string>();
  /** The current window (its end, ms) and its gates; a new window has gates of its own, never an old one's probe. */
  private window = { until: 0, gates: new Map<string | typeof ROUND, Gate>() };

  /** `waitMs`: the probe's bound (PROBE_WAIT_MS; a test sets it short). */
  constructor(public waitMs = PROBE_WAIT_MS) {}

  /** An outage round began a backoff: the job ids of the feeds it found refusing (every one it tried). */
  outageRound(refusing: readonly string[]): void {
    this.refusing = new Set(refusing);
  }

  /**
   * Runs `flush` of job `jobId`'s feed now, or not at all. Outside a backoff (`backoffUntil()` ≤ now, ms; read afresh
   * after every wait, as a probe that is taken ends it), always. Inside one, by the job's gate (the outage round's
   * feeds share one, any other feed has its own): as the window's probe when none ran yet; after waiting for one
   * running; not at all once the window's probe was refused (its feed took nothing and not all went) or ran past
   * `waitMs` unanswered. A probe that found nothing to ship sent nothing and probed nothing: the next reader probes.
   * `wait` false: not waiting for a probe running either — an artifact commit flushes inside its exclusive section
   * (blockConcurrencyWhile), which holds the other request's probe from going on: waiting for it would hold both.
   * @returns the flush's result, or `undefined` when it did not run (this window's probe was refused or is running
   *   while `wait` is false) or ran past `waitMs` (it goes on; what it ships stays shipped)
   * @throws what `flush` throws (a storage error); a probe's throw leaves the window to the next reader's probe
   */
  async run(
    jobId: string,
    backoffUntil: () => number,
    flush: () => Promise<FlushResult>,
    wait = true,
  ): Promise<FlushResult | undefined> {
    for (;;) {
      const until = backoffUntil();
      if (Date.now() >= until) return flush();
      const gate = this.gate(jobId, until);
      if (gate.refused) return undefined;
      if (gate.running) {
        if (!wait) return undefined;
        await gate.running.catch(() => undefined);
        continue;
      }
      return this.probe(gate, flush);
    }
  }

  /**
   * Seconds a reader of `jobId`'s feed refused now (ms) is told to wait: when this window's probe of its gate was
   * refused, the rest of the window (`backoffUntil()`, ms; core/delivery-outage `windowRetryAfterSeconds`) — no flush
   * of it sends before then; else 1 s (a flush that failed or stopped short: the loop or the next reader goes on).
   */
  retryAfterSeconds(jobId: string, backoffUntil: number, now: number): number {
    const refused = backoffUntil > now && this.window.until === backoffUntil && this.gateOf(jobId)?.refused;
    return refused ? windowRetryAfterSeconds(backoffUntil, now) : 1;
  }

  private gateOf(jobId: string): Gate | undefined {
    return this.window.gates.get(this.refusing.has(jobId) ? ROUND : jobId);
  }

  /** `jobId`'s gate in the window ending at `until` (ms): the old window's gates are dropped with it. */
  private gate(jobId: string, until: number): Gate {
    if (this.window.until !== until) this.window = { until, gates: new Map() };
    let gate = this.gateOf(jobId);
    if (!gate) {
      gate = { running: null, refused: false };
      this.window.gates.set(this.refusing.has(jobId) ? ROUND : jobId, gate);
    }
    return gate;
  }

  /** Runs `flush` as `gate`'s probe, answered within `waitMs`: its result, or undefined (refused) past it. */
  private probe(gate: Gate, flush: () => Promise<FlushResult>): Promise<FlushResult | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, this.waitMs, undefined);
    });
    // Marked refused and cleared before any waiter resumes: they see the probe's answer, never a stale one.
    const answer: Promise<FlushResult | undefined> = Promise.race([flush(), bound])
      .then((r) => {
        if (r === undefined || (!r.took && !r.whole)) gate.refused = true;
        return r;
      })
      .finally(() => {
        clearTimeout(timer);
        if (gate.running === answer) gate.running = null;
      });
    gate.running = answer;
    return answer;
  }
}
