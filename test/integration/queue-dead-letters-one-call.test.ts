// The dispatch and webhook consumers keep a batch's dead letters in one call (worker/queues/dead-letters
// `keepForMessages`, as the history consumer does), so with D1 refusing them one coordinator call per product, not per
// message: malformed messages, an over-size actor, items the coordinator refused and last tries' failures of one
// batch, several products mixed, each product's letters in one `keepDeadLetters` call (a call per message before: 5 for
// the first product here), and one ALERT line per product. A product whose coordinator refuses them has its messages
// retried, never acked; another product's are kept and acked all the same. A call holds at most
// DEAD_LETTER_CALL_BYTES (a batch of 100 large messages had been one call of all their bodies, past what one RPC may
// carry once their letters are many). A real D1 failure: the dead-letter table renamed away (so this file is
// isolated, not shared).
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WEBHOOK_LAST_TRY } from "../../src/core/webhook-signature.ts";
import worker from "../../src/worker/index.ts";
import { DISPATCH_LAST_TRY } from "../../src/worker/queues/consumers.ts";
import { DEAD_LETTER_CALL_BYTES } from "../../src/worker/queues/dead-letter-calls.ts";
import { ADMIN, api, createProduct, P } from "./client";

afterEach(() => vi.restoreAllMocks());

/**
 * `env` whose coordinators count `keepDeadLetters` calls by product (`calls`); `failSubmit`'s products' submissions
 * throw (a unit that keeps failing), `refuseKeep`'s refuse to keep dead letters, the rest is the real coordinator.
 */
function counted(opts: { failSubmit?: string[]; refuseKeep?: string[]; webhook?: boolean } = {}) {
  const calls = new Map<string, number>();
  /** Each keepDeadLetters call's bytes: its letters' bodies and reasons. */
  const sizes: number[] = [];
  const target = { url: "http://127.0.0.1:9/one-call-hook", secret: "s3cret-of-sixteen-chars" };
  const wrapped = {
    ...env,
    COORDINATOR: {
      getByName: (name: string) => {
        const real = env.COORDINATOR.getByName(name) as unknown as Record<string, (...a: unknown[]) => unknown>;
        return new Proxy(
          {},
          {
            get:
              (_, prop: string) =>
              (...a: unknown[]) => {
                const product = String(a[0]);
                if (prop === "keepDeadLetters") {
                  calls.set(product, (calls.get(product) ?? 0) + 1);
                  const items = a[1] as Array<{ body: string; reason: string }>;
                  sizes.push(items.reduce((n, d) => n + d.body.length + d.reason.length, 0));
                  if (opts.refuseKeep?.includes(product)) return Promise.reject(new Error("coordinator overloaded"));
                }
                if (prop === "submitMany" && opts.failSubmit?.includes(product))
                  return Promise.reject(new Error("unit threw: disk I/O error"));
                if (prop === "webhookTarget" && opts.webhook) return Promise.resolve({ ok: true, value: target });
                return real[prop]?.(...a);
              },
          },
        );
      },
    },
  } as unknown as Env;
  return { env: wrapped, calls, sizes };
}

/** Runs `messages` as one batch of `queue` with D1's dead-letter table away; the queue result and the ALERT lines. */
async function withoutD1DeadLetters(queue: string, messages: Array<{ id: string; body: unknown }>, e: Env, n: number) {
  const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
  await env.DB.exec("ALTER TABLE dead_letters RENAME TO dead_letters_away");
  try {
    const batch = createMessageBatch(
      queue,
      messages.map((m) => ({ ...m, timestamp: new Date(), attempts: n })),
    );
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch, e, ctx);
    const result = await getQueueResult(batch, ctx);
    const alerts = errors.mock.calls.map((a) => a.map(String).join(" ")).filter((l) => l.startsWith("ALERT"));
    return { result, alerts };
  } finally {
    await env.DB.exec("ALTER TABLE dead_letters_away RENAME TO dead_letters");
  }
}

const listed = async (product: string) =>
  (await api<{ items: Array<{ id: string }> }>("GET", `${P(product)}/dead-letters`, { token: ADMIN })).body.items
    .map((d) => d.id)
    .sort();

const item = (title: string, extra: Record<string, unknown> = {}) => ({
  manifest: { title, idempotencyKey: `one-call-${title}`, ...extra },
  bodyMd: "",
});
const submit = (productId: string, items: unknown[], actor = "op") => ({
  kind: "submit",
  productId,
  actor,
  origin: "tracker:one-call",
  items,
});

/** A dispatch batch of two products: good, malformed, over-size and refused messages of A, failing ones of B. */
function dispatchMessages(a: string, b: string) {
  return [
    { id: `${a}-good-0`, body: submit(a, [item(`${a}-good-0`)]) },
    ...[0, 1, 2].map((i) => ({ id: `${a}-bad-${i}`, body: { kind: "submit", productId: a, items: "x" } })),
    { id: `${a}-actor`, body: submit(a, [item(`${a}-actor`)], "x".repeat(801)) },
    { id: `${a}-refused`, body: submit(a, [item(`${a}-ok`), item(`${a}-dep`, { deps: ["job_missing"] })]) },
    { id: `${a}-good-1`, body: submit(a, [item(`${a}-good-1`)]) },
    ...[0, 1].map((i) => ({ id: `${b}-fail-${i}`, body: submit(b, [item(`${b}-fail-${i}`)]) })),
  ];
}

describe("dispatch consumer: a batch's dead letters, D1 refusing them", () => {
  it("are kept in one coordinator call per product, every message acked, every dead letter listed", async () => {
    const [a, b] = ["dl-one-call-a", "dl-one-call-b"];
    await createProduct(a);
    await createProduct(b);
    const messages = dispatchMessages(a, b);
    const { env: e, calls } = counted({ failSubmit: [b] });
    const { result, alerts } = await withoutD1DeadLetters("gigafactory-dispatch", messages, e, DISPATCH_LAST_TRY);
    expect(Object.fromEntries(calls)).toEqual({ [a]: 1, [b]: 1 });
    expect(alerts).toHaveLength(2);
    expect(result.explicitAcks.sort()).toEqual(messages.map((m) => m.id).sort());
    expect(await listed(a)).toEqual([`${a}-actor`, `${a}-bad-0`, `${a}-bad-1`, `${a}-bad-2`, `${a}-refused:1`].sort());
    expect(await listed(b)).toEqual([`${b}-fail-0`, `${b}-fail-1`]);
  });

  it("a product whose coordinator refuses them has its messages retried; the other product's are kept and acked", async () => {
    const [a, b] = ["dl-one-call-c", "dl-one-call-d"];
    await createProduct(a);
    await createProduct(b);
    const messages = dispatchMessages(a, b);
    const { env: e, calls } = counted({ failSubmit: [b], refuseKeep: [b] });
    const { result } = await withoutD1DeadLetters("gigafactory-dispatch", messages, e, DISPATCH_LAST_TRY);
    expect(Object.fromEntries(calls)).toEqual({ [a]: 1, [b]: 1 });
    const retried = result.retryMessages.map((m: { msgId: string }) => m.msgId).sort();
    expect(retried).toEqual([`${b}-fail-0`, `${b}-fail-1`]);
    expect(result.explicitAcks.sort()).toEqual(
      messages
        .map((m) => m.id)
        .filter((id) => !retried.includes(id))
        .sort(),
    );
    expect(await listed(a)).toHaveLength(5);
    expect(await listed(b)).toEqual([]);
  });
});

describe("dispatch consumer: a batch of large dead letters, D1 refusing them", () => {
  it("is kept in calls of at most DEAD_LETTER_CALL_BYTES, every message acked", async () => {
    const product = "dl-one-call-large";
    await createProduct(product);
    // 100 malformed messages of ~100 KB each: ~10 MB of dead letters, one product.
    const pad = "p".repeat(100 * 1024);
    const messages = Array.from({ length: 100 }, (_, i) => ({
      id: `${product}-${i}`,
      body: { kind: "submit", productId: product, items: "x", pad },
    }));
    const { env: e, calls, sizes } = counted();
    const { result } = await withoutD1DeadLetters("gigafactory-dispatch", messages, e, 1);
    expect(result.explicitAcks.sort()).toEqual(messages.map((m) => m.id).sort());
    expect(calls.get(product)).toBe(2);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(DEAD_LETTER_CALL_BYTES);
  });
});

describe("webhook consumer: a batch's dead letters, D1 refusing them", () => {
  it("are kept in one coordinator call per product: malformed messages and failed last tries, every one acked", async () => {
    const [a, b] = ["wh-one-call-a", "wh-one-call-b"];
    await createProduct(a);
    await createProduct(b);
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(null, { status: 500 }));
    const delivery = (p: string, i: number) => ({
      id: `${p}-last-${i}`,
      body: { kind: "webhook", productId: p, body: { deliveryId: `dlv_${p}_${i}`, type: "job.stage", seq: i } },
    });
    const messages = [
      delivery(a, 0),
      { id: `${a}-bad`, body: { kind: "webhook", productId: a, body: { type: "job.stage" } } },
      delivery(a, 1),
      delivery(b, 0),
      delivery(b, 1),
    ];
    const { env: e, calls } = counted({ webhook: true });
    const { result, alerts } = await withoutD1DeadLetters("gigafactory-webhooks", messages, e, WEBHOOK_LAST_TRY);
    expect(Object.fromEntries(calls)).toEqual({ [a]: 1, [b]: 1 });
    expect(alerts).toHaveLength(2);
    expect(result.explicitAcks.sort()).toEqual(messages.map((m) => m.id).sort());
    expect(await listed(a)).toEqual([`${a}-bad`, `${a}-last-0`, `${a}-last-1`].sort());
    expect(await listed(b)).toEqual([`${b}-last-0`, `${b}-last-1`]);
  });
});
