// Shared by the bulk-batch tests that stand in for the dispatch queue: a `POST …/jobs:batch` through the Worker's own
// handler with an `env` whose DISPATCH_QUEUE the test holds (the client in client.ts always uses the real one), the
// held messages handed to a queue consumer when the test chooses, and the batch's record as `GET …/batches/{id}`
// answers it.
import { createExecutionContext, env } from "cloudflare:test";
import { expect } from "vitest";
import worker from "../../src/worker/index.ts";
import type { DispatchMessage } from "../../src/worker/queues/messages.ts";
import { ADMIN, api, P } from "./client.ts";

/** `GET …/batches/{id}`: what a client waiting for its jobs reads. */
export interface BatchView {
  done: boolean;
  queued: number;
  items: Array<{ index: number; status: string; code?: string; jobId?: string }>;
}

/** Posts `items` as one bulk batch to `product` with `queueEnv` (a held or eager dispatch queue); its batch id. */
export async function postBatch(product: string, queueEnv: Env, items: unknown[]): Promise<string> {
  const res = await worker.fetch(
    new Request(`http://gf.test${P(product)}/jobs:batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ items }),
    }),
    queueEnv,
    createExecutionContext(),
  );
  expect(res.status).toBe(202);
  return ((await res.json()) as { batchId: string }).batchId;
}

/** The batch's record, read as the admin. */
export const batchView = async (product: string, id: string) =>
  (await api<BatchView>("GET", `${P(product)}/batches/${id}`, { token: ADMIN })).body;

/** A dispatch queue that keeps what is sent, for the test to hand to a consumer when it chooses. */
export function heldQueue() {
  const held: DispatchMessage[] = [];
  const queue = {
    sendBatch: async (sent: Iterable<MessageSendRequest<DispatchMessage>>) => {
      for (const m of sent) held.push(m.body);
    },
  };
  return { held, env: { ...env, DISPATCH_QUEUE: queue } as unknown as Env };
}

/** Hands `bodies` to the Worker's consumer of `queue` as one batch on its 5th delivery; how many acked and retried. */
export async function deliver(queue: string, bodies: unknown[], workerEnv: Env = env) {
  const acked: string[] = [];
  const retried: string[] = [];
  const messages = bodies.map((body, i) => {
    const id = `bdl-${i}-${crypto.randomUUID()}`;
    return { id, timestamp: new Date(), body, attempts: 5, ack: () => acked.push(id), retry: () => retried.push(id) };
  });
  const batch = { queue, messages, ackAll() {}, retryAll() {} };
  await worker.queue(batch as unknown as MessageBatch, workerEnv, createExecutionContext());
  return { acked: acked.length, retried: retried.length };
}
