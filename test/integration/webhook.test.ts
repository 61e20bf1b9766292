// The signed webhook in workerd: `PUT …/webhook` validates (https, or http for loopback only; a secret of 16
// characters to 2048 bytes, as the OpenAPI document says)
// and no answer ever holds the secret; a stage change and an alert reach the receiver through the outbox and the
// webhook queue, signed HMAC-SHA256 over `${timestamp}.${rawBody}` (verified here with WebCrypto), with the
// delivery id in header and body; a failed delivery is retried with a new attempt and the same delivery id, and its
// `seq` orders it below the changes delivered before the retry (a receiver applying by seq ends on the job's real
// stage); the consumer retries refused deliveries, acks when no webhook is set, and dead-letters a malformed message.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { WebhookMessage } from "../../src/worker/queues/webhooks.ts";
import { ADMIN, api, claim, enroll, P, submit, until } from "./client.ts";
import { expireLeaseNow } from "./state.ts";
import { deliverWebhooks, HOOK_URL, type Received, receiver, verifySignature } from "./webhook-receiver.ts";

const SECRET = "s3cret-of-sixteen-chars";
let hook: ReturnType<typeof receiver> | undefined;
afterEach(() => hook?.restore());

async function setHook(product: string, url = HOOK_URL) {
  return api("PUT", `${P(product)}/webhook`, { token: ADMIN, json: { url, secret: SECRET } });
}

describe("webhook settings", () => {
  it("accepts https and loopback http only, and never answers the secret", async () => {
    const product = "wh-config";
    for (const url of ["http://example.com/h", "ftp://127.0.0.1/h", "https://u:p@example.com/h", "not a url"])
      expect((await setHook(product, url)).status, url).toBe(400);
    const short = await api("PUT", `${P(product)}/webhook`, { token: ADMIN, json: { url: HOOK_URL, secret: "short" } });
    expect(short.status).toBe(400);
    expect((await api("GET", `${P(product)}/webhook`, { token: ADMIN })).status).toBe(404);

    for (const url of ["https://hooks.example.com/gf", "http://localhost:9000/h", "http://[::1]:9000/h", HOOK_URL]) {
      const put = await setHook(product, url);
      expect(put.status, url).toBe(200);
      expect(JSON.stringify(put.body)).not.toContain(SECRET);
    }
    const got = await api("GET", `${P(product)}/webhook`, { token: ADMIN });
    expect(got.body).toMatchObject({ url: HOOK_URL, hasSecret: true });
    expect(JSON.stringify(got.body)).not.toContain(SECRET);

    const viewer = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "v" },
    });
    expect((await api("GET", `${P(product)}/webhook`, { token: viewer.body.token })).status).toBe(403);
    expect((await api("DELETE", `${P(product)}/webhook`, { token: ADMIN })).status).toBe(200);
    expect((await api("GET", `${P(product)}/webhook`, { token: ADMIN })).status).toBe(404);
  });
  it("documents the secret's bounds as the route enforces them: 16 to 2048 bytes of UTF-8", async () => {
    const product = "wh-secret-bound";
    const put = (secret: string) =>
      api("PUT", `${P(product)}/webhook`, { token: ADMIN, json: { url: HOOK_URL, secret } });
    expect((await put("s".repeat(15))).status).toBe(400);
    expect((await put("é".repeat(8))).status).toBe(200); // 8 characters, 16 bytes
    expect((await put("s".repeat(600))).status).toBe(200);
    expect((await put("s".repeat(2048))).status).toBe(200);
    expect((await put("s".repeat(2049))).status).toBe(400);
    type Doc = { paths: Record<string, { put?: { description?: string } }> };
    const doc = (await api<Doc>("GET", "/api/v1/openapi.json")).body;
    const [summary] = Object.entries(doc.paths)
      .filter(([path, ops]) => path.endsWith("/webhook") && ops.put)
      .map(([, ops]) => ops.put?.description ?? "");
    expect(summary).toContain("secret (at least 16 and at most 2048 bytes of UTF-8)");
  });
});

describe("delivery", () => {
  it("POSTs a signed stage change, and retries a failed delivery with the same delivery id", async () => {
    const product = "wh-stage";
    // The first attempt at this product's first delivery is refused.
    let refused = false;
    hook = receiver((r) => {
      if (refused || r.body.productId !== product) return 200;
      refused = true;
      return 500;
    });
    await setHook(product);
    const job = await submit(product, { title: "echo me" });

    const got = await until(
      async () => hook!.received.filter((r) => r.body.productId === product && r.body.type === "job.submitted"),
      (r) => r.length >= 2,
      20_000,
    );
    expect(got.length).toBeGreaterThanOrEqual(2);
    const [first, second] = got as [(typeof got)[0], (typeof got)[0]];
    expect(first.body.job).toMatchObject({ id: job.id, stage: "queued" });
    expect(first.headers["x-gigafactory-delivery"]).toBe(first.body.deliveryId);
    expect(second.headers["x-gigafactory-delivery"]).toBe(first.body.deliveryId);
    expect(first.headers["content-type"]).toBe("application/json");
    for (const r of [first, second]) expect(await verifySignature(SECRET, r)).toBe(true);
    // A tampered body or another secret does not verify.
    expect(await verifySignature(SECRET, { ...first, raw: first.raw.replace("echo", "ecko") })).toBe(false);
    expect(await verifySignature("another-secret-0000", first)).toBe(false);
  });

  it("POSTs alert changes: opened, acknowledged and resolved", async () => {
    const product = "wh-alert";
    hook = receiver();
    await setHook(product);
    const job = await submit(product, { title: "starves", requires: ["gpu"] });
    const { runInDurableObject } = await import("cloudflare:test");
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec(
        "UPDATE jobs SET queued_at = ?1, doc = json_set(doc, '$.queuedAt', ?1) WHERE id = ?2",
        Date.now() - 61 * 60_000,
        job.id,
      );
    });
    await env.COORDINATOR.getByName(product).sweep(product);
    const opened = await until(
      async () =>
        hook!.received.find(
          (r) => r.body.productId === product && r.body.type === "alert.opened" && r.body.alert?.kind === "starving",
        ),
      (r) => r !== undefined,
      20_000,
    );
    expect(opened?.body.alert).toMatchObject({ subject: `job:${job.id}`, state: "open" });
    await api("POST", `${P(product)}/alerts/${opened!.body.alert!.id}/ack`, { token: ADMIN });
    const acked = await until(
      async () => hook!.received.find((r) => r.body.productId === product && r.body.type === "alert.acknowledged"),
      (r) => r !== undefined,
      20_000,
    );
    expect(acked?.body.alert).toMatchObject({ id: opened!.body.alert!.id, state: "acknowledged" });
    expect(await verifySignature(SECRET, acked!)).toBe(true);
    // The job leaves the queue: the next pass resolves the alert, and the receiver hears of it.
    await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} });
    await env.COORDINATOR.getByName(product).sweep(product);
    const resolved = await until(
      async () =>
        hook!.received.find(
          (r) => r.body.productId === product && r.body.type === "alert.resolved" && r.body.alert?.kind === "starving",
        ),
      (r) => r !== undefined,
      20_000,
    );
    expect(resolved?.body.alert).toMatchObject({ id: opened!.body.alert!.id, state: "resolved" });
  });
});

// A stage change refused once by the receiver is retried after later ones were delivered: the reviewer's receiver
// refused a job's `failed` (503), took its `dead_letter` (200), then took the retried `failed` — both with the same
// `at` and lease epoch — and ended on `failed` for a job in dead_letter. Each body now carries `seq` (its outbox seq,
// increasing with every change of the product), and a receiver that applies only a seq above its last ends right.
describe("ordering", () => {
  it("a retried stage change carries its own, lower seq: applied by seq, the receiver ends on dead_letter", async () => {
    const product = "wh-order";
    let refused = false;
    hook = receiver((r) => {
      if (refused || r.body.productId !== product || r.body.job?.stage !== "failed") return 200;
      refused = true;
      return 503;
    });
    await setHook(product);
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "dies once", maxAttempts: 1 });
    expect((await claim(product, f.token)).body.job.id).toBe(job.id);
    await expireLeaseNow(product, job.id);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    const stageOf = (r: Received) => r.body.job?.stage;
    const got = await until(
      async () => hook!.received.filter((r) => r.body.productId === product && r.body.type === "job.stage"),
      (rs) => rs.filter((r) => stageOf(r) === "failed").length >= 2 && rs.some((r) => stageOf(r) === "dead_letter"),
      20_000,
    );
    const [failed, retried] = got.filter((r) => stageOf(r) === "failed") as [Received, Received];
    const dead = got.find((r) => stageOf(r) === "dead_letter")!;
    // The reviewer's order of arrival: the retry of `failed` came after `dead_letter`, with the same delivery.
    expect(got.indexOf(retried)).toBeGreaterThan(got.indexOf(dead));
    expect(retried.body.deliveryId).toBe(failed.body.deliveryId);
    expect(retried.body.at).toBe(dead.body.at); // one unit made both: `at` cannot order them
    // …and its order: the same seq as its first attempt, below dead_letter's.
    expect(retried.body.seq).toBe(failed.body.seq);
    expect(failed.body.seq).toBeLessThan(dead.body.seq);
    expect(await verifySignature(SECRET, retried)).toBe(true);
    let applied = 0;
    let stage: unknown;
    for (const r of got) {
      if (!(r.body.seq > applied)) continue;
      applied = r.body.seq;
      stage = stageOf(r);
    }
    expect(stage).toBe("dead_letter");
  });
});

describe("consumer", () => {
  const run = deliverWebhooks;
  const message = (productId: string, deliveryId = "dlv_test"): WebhookMessage => ({
    kind: "webhook",
    productId,
    body: { deliveryId, seq: 1, productId, type: "job.stage", at: 1 },
  });

  it("retries a refused delivery with exponential backoff, acks a delivered one", async () => {
    const product = "wh-consumer";
    hook = receiver((r) => (r.body.deliveryId === "dlv_refused" ? 503 : 200));
    await setHook(product);
    const result = await run([
      { id: "m1", body: message(product, "dlv_refused"), attempts: 1 },
      { id: "m2", body: message(product, "dlv_refused"), attempts: 3 },
      { id: "m3", body: message(product, "dlv_test"), attempts: 1 },
    ]);
    expect(result.explicitAcks).toEqual(["m3"]);
    // The delays (2 s, then 8 s at attempt 3) are core/webhook-signature's, checked in test/unit/webhook-signature.
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["m1", "m2"]);
    const mine = hook.received.filter((r) => r.body.productId === product);
    expect(mine.map((r) => r.headers["x-gigafactory-delivery"])).toEqual(["dlv_refused", "dlv_refused", "dlv_test"]);
  });

  it("acks when the product has no webhook, and dead-letters a malformed message", async () => {
    hook = receiver();
    const result = await run([
      { id: "n1", body: message("wh-none"), attempts: 1 },
      { id: "n2", body: { kind: "webhook", productId: "wh-none" }, attempts: 1 },
    ]);
    expect(result.explicitAcks.sort()).toEqual(["n1", "n2"]);
    expect(hook.received.filter((r) => r.body.productId === "wh-none")).toEqual([]);
    const dl = await api<{ items: Array<{ source: string }> }>("GET", `${P("wh-none")}/dead-letters`, { token: ADMIN });
    expect(JSON.stringify(dl.body)).toContain("queue:webhook");
  });
});
