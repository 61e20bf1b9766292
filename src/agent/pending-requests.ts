/**
 * @module agent/pending-requests
 * The factory socket's requests awaiting their answer (agent/connection): each under its frame `id`, settled by the
 * `ack` or `error` frame naming it, by its timeout, or by the socket's end. The timeout decides after a poll
 * (shared/after-poll): with the agent's loop held past it (a loaded host) while the answer was already in the socket,
 * its timer fired before the poll that reads it, and a request the coordinator had answered failed as `timeout` — a
 * renewal's miss, a heartbeat's dropped a healthy socket. It now fails only when no answer was read by then.
 */
import { afterPoll } from "../shared/after-poll.ts";

/** The coordinator answered a request with an `error` frame (`fenced`, `not_lease_holder`, …) or it timed out. */
export class FrameError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = "FrameError";
    this.code = code;
  }
}

/** Codes that mean "this lease is no longer yours": stop the engine and discard its work. */
export const LEASE_LOST_CODES: ReadonlySet<string> = new Set(["fenced", "not_lease_holder"]);

/** An answer from the coordinator: `ack` with its result, or `error` with its code and message. */
export type Answer = { type: "ack"; id: string; result?: unknown } | { type: "error"; code: string; message: string };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class PendingRequests {
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();

  /**
   * A new request's `id` (`r1`, `r2`, …) and its answer: resolves with the `ack`'s result, rejects with FrameError —
   * the `error`'s code, `timeout` when no answer was read within `timeoutMs` (ms), or what `fail`/`failAll` says.
   * `what` names the request in the timeout's message.
   */
  open(what: string, timeoutMs: number): { id: string; answer: Promise<unknown> } {
    const id = `r${this.nextId++}`;
    const answer = new Promise<unknown>((resolve, reject) => {
      // An answer the poll read first has settled it: the entry is gone, and this does nothing.
      const overdue = () => {
        if (this.pending.get(id) !== entry) return;
        this.pending.delete(id);
        reject(new FrameError("timeout", `no answer to ${what} within ${timeoutMs} ms`));
      };
      const entry: Pending = { resolve, reject, timer: setTimeout(afterPoll(overdue), timeoutMs) };
      this.pending.set(id, entry);
    });
    return { id, answer };
  }

  /** Settles request `id` with `answer`; false when no request waits under that id (not an answer of ours). */
  settle(id: string, answer: Answer): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (answer.type === "ack") p.resolve(answer.result);
    else p.reject(new FrameError(answer.code, answer.message));
    return true;
  }

  /** Fails request `id`, if it still waits, with `err` (its frame could not be sent). */
  fail(id: string, err: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(err);
  }

  /** Fails every request still waiting as `disconnected`, for `why` (the socket ended). */
  failAll(why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new FrameError("disconnected", why));
      this.pending.delete(id);
    }
  }
}
