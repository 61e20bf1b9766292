// The webhook queue's consumer (worker/queues/webhooks), one batch: a receiver that hangs holds back no other
// product's deliveries, one product's go one at a time in batch order, each acked or retried on its own; and a
// delivery still refused on the last try (`WEBHOOK_LAST_TRY`) is kept as a dead letter with the receiver's last
// answer as its reason (and a thrown error's URL cut to its origin, there and in the log line, also a URL kept as
// typed: `http:host/…`, a space in its path), instead of moving
// to the dead-letter queue, which records only "delivery failed after all retries". A receiver answering 3xx is never
// followed (the signed body would go where the operator never pointed it): the try fails, as any non-2xx does.
// A receiver that let a try time out is sent nothing more of that batch (each would wait the timeout out in turn):
// its other messages are retried unsent with their own backoff, except one on its last try, which is still sent.
// A 2xx whose body breaks after the status is delivered: the body is cancelled unread, its failure no failed try.
import { afterEach, describe, expect, it, vi } from "vitest";
import { WEBHOOK_LAST_TRY, type WebhookMessage } from "../../src/worker/queues/webhooks.ts";
import { ADMIN, api, P, until } from "./client.ts";
import { deliverWebhooks, HOOK_URL, REDIRECT_TARGET, receiver } from "./webhook-receiver.ts";

let hook: ReturnType<typeof receiver> | undefined;
afterEach(() => hook?.restore());

const run = deliverWebhooks;

const message = (productId: string, deliveryId: string, seq = 1): WebhookMessage => ({
  kind: "webhook",
  productId,
  body: { deliveryId, seq, productId, type: "job.stage", at: 1 },
});

describe("webhook queue: the last delivery", () => {
  it("keeps a delivery refused on the last attempt as a dead letter with the receiver's answer; retries earlier ones", async () => {
    const product = "qw-last";
    const put = await api("PUT", `${P(product)}/webhook`, {
      token: ADMIN,
      json: { url: `${HOOK_URL}/secret-path`, secret: "s3cret-of-sixteen-chars" },
    });
    expect(put.status).toBe(200);
    hook = receiver(() => 503);
    const result = await run([
      { id: "w1", body: message(product, "dlv_a"), attempts: WEBHOOK_LAST_TRY - 1 },
      { id: "w2", body: message(product, "dlv_b"), attempts: WEBHOOK_LAST_TRY },
    ]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["w1"]);
    expect(result.explicitAcks).toEqual(["w2"]);
    const dl = await api<{ items: Array<{ id: string; source: string; reason: string }> }>(
      "GET",
      `${P(product)}/dead-letters`,
      { token: ADMIN },
    );
    expect(dl.body.items).toEqual([
      expect.objectContaining({
        id: "w2",
        source: "queue:webhook",
        reason: `webhook delivery failed on all ${WEBHOOK_LAST_TRY} attempts; the last: http://127.0.0.1:8787/… answered 503`,
      }),
    ]);
  });
});

describe("webhook queue: a delivery that throws", () => {
  it("logs and keeps the error with the URL cut to its origin: its path is the receiver's secret", async () => {
    const product = "qw-thrown";
    const url = `${HOOK_URL}/T0/B0/secret-path-token`;
    const put = await api("PUT", `${P(product)}/webhook`, {
      token: ADMIN,
      json: { url, secret: "s3cret-of-sixteen-chars" },
    });
    expect(put.status).toBe(200);
    // As workerd words a fetch that cannot reach its target: the whole URL in the message.
    hook = receiver(() => {
      throw new TypeError(`Fetch API cannot load: ${url}`);
    });
    const warn = vi.spyOn(console, "warn");
    try {
      await run([{ id: "t1", body: message(product, "dlv_t"), attempts: WEBHOOK_LAST_TRY }]);
      const logged = warn.mock.calls.map((args) => args.map(String).join(" "));
      expect(logged.some((line) => line.includes("Fetch API cannot load: http://127.0.0.1:8787"))).toBe(true);
      expect(logged.filter((line) => line.includes("secret-path-token"))).toEqual([]);
    } finally {
      warn.mockRestore();
    }
    const dl = await api<{ items: Array<{ reason: string }> }>("GET", `${P(product)}/dead-letters`, { token: ADMIN });
    expect(dl.body.items.map((d) => d.reason.includes("secret-path-token"))).toEqual([false]);
  });
});

describe("webhook queue: a delivery that throws, to a URL stored as typed", () => {
  it("cuts the URL to its origin however it was written: no `//`, a space", async () => {
    // Each is accepted by PUT …/webhook (the URL parser mends it) and kept as typed; the fetch is given it as kept.
    const urls = {
      "qw-thrown-noslash": "http:127.0.0.1:8787/hook/T1/secret-token-a",
      "qw-thrown-space": `${HOOK_URL}/T3/ secret-token-c`,
    };
    const secret = "s3cret-of-sixteen-chars";
    for (const [product, url] of Object.entries(urls))
      expect((await api("PUT", `${P(product)}/webhook`, { token: ADMIN, json: { url, secret } })).status).toBe(200);
    // The runtime's words name the URL as the fetch was given it, or as parsed: both are in the message.
    hook = receiver((r) => {
      const typed = urls[r.body.productId as keyof typeof urls];
      throw new TypeError(`Fetch API cannot load: ${typed} (${r.url})`);
    });
    const warn = vi.spyOn(console, "warn");
    try {
      const last = (product: string, i: number) => ({ id: `tu${i}`, body: message(product, `dlv_tu${i}`) });
      await run(Object.keys(urls).map((product, i) => ({ ...last(product, i), attempts: WEBHOOK_LAST_TRY })));
      const logged = warn.mock.calls.map((args) => args.map(String).join(" "));
      expect(logged.filter((line) => /secret-token/.test(line))).toEqual([]);
    } finally {
      warn.mockRestore();
    }
    for (const product of Object.keys(urls)) {
      const dl = await api<{ items: Array<{ reason: string }> }>("GET", `${P(product)}/dead-letters`, { token: ADMIN });
      expect(
        dl.body.items.map((d) => [d.reason.includes("secret-token"), d.reason.includes("127.0.0.1:8787")]),
      ).toEqual([[false, true]]);
    }
  });
});

describe("webhook queue: a receiver that redirects", () => {
  it("never follows it: the signed body goes only where the operator pointed, and the try counts as failed", async () => {
    const product = "qw-redirect";
    const put = await api("PUT", `${P(product)}/webhook`, {
      token: ADMIN,
      json: { url: `${HOOK_URL}/moved`, secret: "s3cret-of-sixteen-chars" },
    });
    expect(put.status).toBe(200);
    // 302 at the operator's URL (its Location: REDIRECT_TARGET), 200 anywhere else.
    hook = receiver((r) => (r.url === `${HOOK_URL}/moved` ? 302 : 200));
    const early = await run([{ id: "r1", body: message(product, "dlv_r1"), attempts: 1 }]);
    const last = await run([{ id: "r2", body: message(product, "dlv_r2"), attempts: WEBHOOK_LAST_TRY }]);
    const mine = hook.received.filter((r) => r.body.productId === product);
    expect(mine.map((r) => [r.url, r.redirect])).toEqual([
      [`${HOOK_URL}/moved`, "manual"],
      [`${HOOK_URL}/moved`, "manual"],
    ]);
    expect(mine.some((r) => r.url === REDIRECT_TARGET)).toBe(false);
    expect(early.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["r1"]);
    expect(last.explicitAcks).toEqual(["r2"]);
    const dl = await api<{ items: Array<{ id: string; reason: string }> }>("GET", `${P(product)}/dead-letters`, {
      token: ADMIN,
    });
    expect(dl.body.items.map((d) => [d.id, d.reason])).toEqual([
      [
        "r2",
        `webhook delivery failed on all ${WEBHOOK_LAST_TRY} attempts; the last: http://127.0.0.1:8787/… answered 302`,
      ],
    ]);
  });
});

describe("webhook queue: one batch, many receivers", () => {
  it("delivers another product's messages while one receiver hangs, one product's messages in batch order", async () => {
    const [slow, fast] = ["qw-slow", "qw-fast"];
    for (const [product, path] of [
      [slow, "slow"],
      [fast, "fast"],
    ] as const) {
      const put = await api("PUT", `${P(product)}/webhook`, {
        token: ADMIN,
        json: { url: `${HOOK_URL}/${path}`, secret: "s3cret-of-sixteen-chars" },
      });
      expect(put.status).toBe(200);
    }
    // The slow receiver's first delivery hangs until released (then refused: a receiver that was down).
    let release!: (status: number) => void;
    const hung = new Promise<number>((resolve) => {
      release = resolve;
    });
    const answered: string[] = [];
    hook = receiver(async (r) => {
      const status = r.body.deliveryId === "dlv_s1" ? await hung : 200;
      answered.push(r.body.deliveryId);
      return status;
    });
    const mine = () => hook!.received.filter((r) => r.body.productId === slow || r.body.productId === fast);
    // The slow product's message first: delivered one after another, it would hold the fast product's behind it.
    const pending = run([
      { id: "s1", body: message(slow, "dlv_s1", 10), attempts: 1 },
      { id: "f1", body: message(fast, "dlv_f1", 20), attempts: 1 },
      { id: "s2", body: message(slow, "dlv_s2", 11), attempts: 1 },
      { id: "f2", body: message(fast, "dlv_f2", 21), attempts: 1 },
    ]);
    try {
      const seen = await until(
        async () => mine().map((r) => r.body.deliveryId),
        (ids) => ids.includes("dlv_s1") && ids.includes("dlv_f2"),
      );
      // The fast receiver has both of its deliveries, in order, answered, while the slow one's first is still
      // unanswered, and the slow product's second waits behind its first.
      expect(seen.filter((id) => id.startsWith("dlv_f"))).toEqual(["dlv_f1", "dlv_f2"]);
      expect(seen.filter((id) => id.startsWith("dlv_s"))).toEqual(["dlv_s1"]);
      expect(answered).toEqual(["dlv_f1", "dlv_f2"]);
    } finally {
      release(503);
    }
    const result = await pending;
    const seqsAt = (path: string) =>
      mine()
        .filter((r) => r.url === `${HOOK_URL}/${path}`)
        .map((r) => r.body.seq);
    expect(seqsAt("slow")).toEqual([10, 11]);
    expect(seqsAt("fast")).toEqual([20, 21]);
    expect(answered).toEqual(["dlv_f1", "dlv_f2", "dlv_s1", "dlv_s2"]);
    // Each message settled on its own: the refused one retried, the others acked.
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["s1"]);
    expect([...result.explicitAcks].sort()).toEqual(["f1", "f2", "s2"]);
  });
});

describe("webhook queue: a receiver that does not answer", () => {
  it("is sent nothing more of the batch once a try timed out: the rest retried unsent, a last try still sent", async () => {
    const product = "qw-silent";
    const other = "qw-answering";
    for (const p of [product, other]) {
      const put = await api("PUT", `${P(p)}/webhook`, {
        token: ADMIN,
        json: { url: `${HOOK_URL}/${p}`, secret: "s3cret-of-sixteen-chars" },
      });
      expect(put.status).toBe(200);
    }
    // As the consumer's delivery timeout ends a try: fetch rejects with the signal's reason, a TimeoutError (thrown
    // at once here, so the test does not wait the 10 s out). The other product's receiver answers.
    hook = receiver((r) => {
      if (r.body.productId === other) return 200;
      throw new DOMException("The operation was aborted due to timeout", "TimeoutError");
    });
    const result = await run([
      { id: "n1", body: message(product, "dlv_n1", 1), attempts: 1 },
      { id: "n2", body: message(product, "dlv_n2", 2), attempts: 1 },
      { id: "o1", body: message(other, "dlv_o1", 3), attempts: 1 },
      { id: "n3", body: message(product, "dlv_n3", 4), attempts: WEBHOOK_LAST_TRY },
      { id: "n4", body: message(product, "dlv_n4", 5), attempts: 3 },
      { id: "o2", body: message(other, "dlv_o2", 6), attempts: 1 },
    ]);
    const posted = (p: string) => hook!.received.filter((r) => r.body.productId === p).map((r) => r.body.deliveryId);
    // One try waited out the timeout; the next two were not sent (each would have waited it out too); the one on
    // its last try was, so no delivery is dead-lettered without a POST. Another product's receiver heard all of its.
    expect(posted(product)).toEqual(["dlv_n1", "dlv_n3"]);
    expect(posted(other)).toEqual(["dlv_o1", "dlv_o2"]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId).sort()).toEqual(["n1", "n2", "n4"]);
    expect([...result.explicitAcks].sort()).toEqual(["n3", "o1", "o2"]);
    const dl = await api<{ items: Array<{ id: string; reason: string }> }>("GET", `${P(product)}/dead-letters`, {
      token: ADMIN,
    });
    expect(dl.body.items.map((d) => d.id)).toEqual(["n3"]);
    // In words (worker/queues/webhook-deliver), not the runtime's class name.
    expect(dl.body.items[0]?.reason).toContain("http://127.0.0.1:8787 did not answer within 10 s (timed out)");
  });
});

describe("webhook queue: a receiver whose 2xx answer's body breaks", () => {
  it("is delivered: the status is the answer, the body never read — not retried, not dead-lettered", async () => {
    const product = "qw-broken-body";
    const put = await api("PUT", `${P(product)}/webhook`, {
      token: ADMIN,
      json: { url: `${HOOK_URL}/${product}`, secret: "s3cret-of-sixteen-chars" },
    });
    expect(put.status).toBe(200);
    // A 200 whose body stream fails (the connection dropped once the status was written): cancelling it rejects.
    const real = globalThis.fetch;
    const posted: string[] = [];
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const req = new Request(input as RequestInfo, init as RequestInit);
      if (!req.url.startsWith(HOOK_URL)) return real(input as RequestInfo, init as RequestInit);
      posted.push((JSON.parse(await req.text()) as { deliveryId: string }).deliveryId);
      const broken = new ReadableStream({ start: (c) => c.error(new Error("connection reset")) });
      return new Response(broken, { status: 200 });
    });
    try {
      const result = await run([
        { id: "b1", body: message(product, "dlv_b1", 1), attempts: 1 },
        { id: "b2", body: message(product, "dlv_b2", 2), attempts: WEBHOOK_LAST_TRY },
      ]);
      expect(posted).toEqual(["dlv_b1", "dlv_b2"]);
      expect(result.retryMessages).toEqual([]);
      expect([...result.explicitAcks].sort()).toEqual(["b1", "b2"]);
    } finally {
      spy.mockRestore();
    }
    const dl = await api<{ items: unknown[] }>("GET", `${P(product)}/dead-letters`, { token: ADMIN });
    expect(dl.body.items).toEqual([]);
  });
});
