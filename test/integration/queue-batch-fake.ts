/**
 * Test-only queue batch: hands a consumer messages as `createMessageBatch` does, but records each message's retry
 * delay (`retry({ delaySeconds })`), which the pool's `getQueueResult` does not report, and its ack.
 */
/** A batch of `n` messages on `queue`, all on delivery `attempts`, that records each message's ack or retry delay. */
export function batchOf(queue: string, n: number, attempts: number, body: (i: number) => unknown) {
  const retried = new Map<string, number | undefined>();
  const acked: string[] = [];
  const messages = Array.from({ length: n }, (_, i) => ({
    id: `${queue}-${i}`,
    timestamp: new Date(),
    attempts,
    body: body(i),
    ack: () => acked.push(`${queue}-${i}`),
    retry: (o?: { delaySeconds?: number }) => retried.set(`${queue}-${i}`, o?.delaySeconds),
  }));
  const batch = {
    queue,
    messages,
    ackAll: () => {
      for (const m of messages) m.ack();
    },
    retryAll: (o?: { delaySeconds?: number }) => {
      for (const m of messages) m.retry(o);
    },
  } as unknown as MessageBatch;
  return { batch, retried, acked };
}
