/**
 * @module durable-objects/coordinator/factories/throttle
 * Dispatch passes for units that moved the queue (issue 12 item 3), throttled to a leading and a trailing pass
 * per macrotask. The first move runs a pass at once, in the unit's own event — after its answer went out, so
 * "answer before dispatching" holds, and its writes commit with the unit's. Every further move before the
 * macrotask ends only marks the trailing pass due (one `setTimeout(0)`), so a burst of `POST …/jobs` handled
 * together costs two passes, not one each; a move after the trailing pass starts opens the next macrotask.
 *
 * Not trailing-only: then every pass runs in a timer of its own — another event, and another durable commit,
 * per pass — and the one quick-bench run of that variant, on a loaded box, gave 128 jobs/s against 195 before
 * it (bench/README.md, "Issue 12 progress"; noisy, and the extra commit is the suspected cause, not a proven
 * one). With the leading pass, a unit that arrives alone is dispatched exactly as before.
 *
 * The frames of one turn (factories/frame-turns) hold their passes (`holding`): one pass after all of them, in that
 * turn, sees every seat they freed — a leading pass after the first frame would see one, and leave a trailing pass
 * (another turn, another commit) for the rest.
 *
 * The trailing pass runs in no unit: what it writes (assignments, their feed events and snapshots) is shipped by
 * runtime/units' shipping rule (`transact` → `onWritten`), not by a unit's settling.
 *
 * `passDue` is read by tests (test/integration/state `dispatchSettled`) to wait for the trailing pass.
 */

export class DispatchThrottle {
  /** A pass ran in this macrotask: later moves wait for the trailing pass. */
  private tickOpen = false;
  /** A unit moved the queue since the leading pass: the trailing pass has work to look at. */
  passDue = false;

  /** `pass`: one dispatch pass (synchronous, one transaction); `product`: for the log line of a failed pass. */
  constructor(
    private readonly pass: () => void,
    private readonly product: () => string,
  ) {}

  /** Inside `holding`: a unit moved the queue, and the pass waits for the end of it. */
  private held: boolean | null = null;

  /**
   * Runs `units` (the frames of one turn: factories/frame-turns) with their passes held, then requests ONE pass if
   * any of them moved the queue — still in that turn, so it sees every seat they freed and commits with them.
   */
  holding(units: () => void): void {
    this.held = false;
    try {
      units();
    } finally {
      const due = this.held;
      this.held = null;
      if (due) this.request(); // never throws: a throw in `finally` would replace what `units` threw
    }
  }

  /**
   * A unit moved the queue. Never throws: a failed pass is logged (`guarded`), like the trailing one. The unit that
   * asked has committed, and been answered if it answers by callback; thrown at it, the pass's error skipped that
   * unit's settling (its records waited for another unit or the alarm) and turned its RPC into a 500 for a write
   * that stands — a submit answered 500 whose job exists (test/integration/dispatch-pass-failures.test.ts).
   */
  request(): void {
    if (this.held !== null) {
      this.held = true;
      return;
    }
    if (this.tickOpen) {
      this.passDue = true;
      return;
    }
    this.tickOpen = true;
    setTimeout(() => this.trailing(), 0); // before the pass: a pass that fails still ends its macrotask's window
    this.guarded(() => this.pass());
  }

  private trailing(): void {
    this.tickOpen = false;
    if (!this.passDue) return;
    this.passDue = false;
    this.guarded(() => this.pass());
  }

  /** A pass: a failure is logged, not thrown at the unit that asked or at a timer. */
  private guarded(pass: () => void): void {
    try {
      pass();
    } catch (err) {
      // Nothing was assigned (a pass is one transaction); the next unit, connect or alarm passes again.
      console.error(`dispatch pass failed for ${this.product()}: ${String(err)}`);
    }
  }
}
