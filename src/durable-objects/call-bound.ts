/**
 * @module durable-objects/call-bound
 * The one time bound on a Durable Object's call to another object or binding (a job feed's RPC, a queue's send): a
 * call that never settles otherwise holds whatever awaits it for ever — a delivery round and every loop that joins it,
 * or an artifact commit's exclusive section, which the runtime resets after 30 s (blockConcurrencyWhile).
 */

/**
 * How long a queue's `send` or `sendBatch` is waited for (ms) before it counts as the queue's refusal (outbox/queue-units):
 * its records stay pending and are retried as any refused send's (core/delivery-retry). One that never answered held
 * its delivery round, and every loop that joined it (the alarm's too), for ever. A send answers in milliseconds (a
 * message is at most 128 KB), so 10 s is far past a slow one; one that lands after it is sent again — a history write
 * is idempotent by seq, a webhook carries its `deliveryId` — as after any answer lost.
 */
export const QUEUE_SEND_MS = 10_000;

/** A call went unanswered within its bound: it may still land later (the caller decides what that means). */
export class UnansweredError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} unanswered after ${ms} ms`);
    this.name = "UnansweredError";
  }
}

/**
 * Waits for `call` at most `ms` (ms; ≤ 0: not at all). Resolves to what it resolves to; throws what it throws, or an
 * UnansweredError naming `what` once `ms` passed. The call goes on: its result is disposed once it settles, whenever
 * that is (an undisposed RPC result is released only by garbage collection) — a caller that needs the value reads it
 * from the resolved object, whose plain data disposing leaves readable.
 */
export async function answeredWithin<T>(call: Promise<T>, ms: number, what = "job feed call"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnansweredError(what, ms)), Math.max(0, ms));
  });
  const settled = Promise.resolve(call).finally(() => (call as unknown as Partial<Disposable>)[Symbol.dispose]?.());
  try {
    return await Promise.race([settled, bound]);
  } finally {
    clearTimeout(timer);
  }
}
