// `POST …/dead-letters/{id}/redrive` in workerd, real D1, coordinator storage and queues: history written while D1
// failed — dead-lettered on the consumer's last delivery, in D1 or (D1 refusing that too) in the coordinator — reaches
// D1 once redriven, the redrive is audited, and a second redrive is 404; a webhook delivery dead-lettered after its
// receiver's outage reaches the receiver with the same deliveryId, signed — refused (409) and kept while the product
// has no webhook, which would ack it unsent; a dispatch message's jobs are created,
// and an item redriven again makes no second job (its idempotency key) — one kept longer than its keys dedupe (7 days,
// less a day) is refused (409) and kept, as its job, made meanwhile, would be made again; a viewer is refused (403) and a dead letter
// that cannot be sent back — unreadable, naming another product, an outbox record — is refused (409, with its code)
// and kept. (Another product's id: cross-product-ids.)
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { recordDeadLetters } from "../../src/worker/queues/dead-letters.ts";
import { LAST_TRY } from "../../src/worker/queues/history.ts";
import { WEBHOOK_LAST_TRY } from "../../src/worker/queues/webhooks.ts";
import { sweepAll } from "../../src/worker/reaper.ts";
import { ADMIN, api, createProduct, mintToken, P, until } from "./client.ts";
import { deliverWebhooks, HOOK_URL, receiver, verifySignature } from "./webhook-receiver.ts";

const DAY = 86_400_000;
let hook: ReturnType<typeof receiver> | undefined;
afterEach(() => hook?.restore());

/** An audit record as the outbox ships one; its seq far above any the product's own outbox reaches in a test (D1 keys
 * audit rows by product and seq, so a clash would drop one of the two). */
const audit = (productId: string, seq: number, action: string) => ({
  productId,
  seq: 1_000_000 + seq,
  kind: "audit",
  body: { at: seq, actor: "op", action, target: "t" },
});

/** One history message through the consumer on its last delivery, while `broken` tables are renamed away. */
async function lastDelivery(id: string, body: unknown, broken: string[]) {
  for (const t of broken) await env.DB.exec(`ALTER TABLE ${t} RENAME TO ${t}_away`);
  try {
    const batch = createMessageBatch("gigafactory-history", [{ id, timestamp: new Date(), attempts: LAST_TRY, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch, env, ctx);
    return getQueueResult(batch, ctx);
  } finally {
    for (const t of broken) await env.DB.exec(`ALTER TABLE ${t}_away RENAME TO ${t}`);
  }
}

async function actions(productId: string): Promise<string[]> {
  const r = await env.DB.prepare("SELECT action FROM audit_log WHERE product_id = ? ORDER BY seq, part")
    .bind(productId)
    .all<{ action: string }>();
  return r.results.map((x) => x.action);
}

const listed = async (productId: string) =>
  (await api<{ items: Array<{ id: string }> }>("GET", `${P(productId)}/dead-letters`, { token: ADMIN })).body.items;

const redrive = (productId: string, id: string, token = ADMIN) =>
  api<Record<string, unknown>>("POST", `${P(productId)}/dead-letters/${encodeURIComponent(id)}/redrive`, { token });

describe("redrive: history written while D1 failed", () => {
  it("reaches D1 once redriven, is audited, and a second redrive is 404", async () => {
    const p = "dlr-history";
    await createProduct(p);
    const result = await lastDelivery("h1", { kind: "history", productId: p, records: [audit(p, 1, "lost")] }, [
      "audit_log",
    ]);
    expect(result.explicitAcks).toEqual(["h1"]);
    expect((await listed(p)).map((d) => d.id)).toEqual(["h1"]);
    expect(await actions(p)).toEqual([]);

    const first = await redrive(p, "h1");
    expect(first).toMatchObject({ status: 200, body: { id: "h1", source: "queue:history", queue: "history" } });
    await until(
      () => actions(p),
      (a) => a.includes("lost"),
      { what: "the redriven record in D1" },
    );
    await until(
      () => actions(p),
      (a) => a.includes("dead_letter.redriven"),
      { what: "the redrive's audit in D1" },
    );
    expect(await listed(p)).toEqual([]);
    const second = await redrive(p, "h1");
    expect(second).toMatchObject({ status: 404, body: { code: "not_found" } });
  });

  it("redrives one kept in the coordinator (D1 refused the dead letter too), and deletes it there", async () => {
    const p = "dlr-kept";
    await createProduct(p);
    const body = { kind: "history", productId: p, records: [audit(p, 1, "kept-away")] };
    await lastDelivery("k1", body, ["audit_log", "dead_letters"]);
    const kept = await env.COORDINATOR.getByName(p).findDeadLetter(p, "k1", "admin");
    expect(kept).toMatchObject({ ok: true, value: { id: "k1", source: "queue:history" } });

    expect((await redrive(p, "k1")).status).toBe(200);
    await until(
      () => actions(p),
      (a) => a.includes("kept-away"),
      { what: "the redriven record in D1" },
    );
    expect(await env.COORDINATOR.getByName(p).findDeadLetter(p, "k1", "admin")).toEqual({ ok: true, value: null });
    expect((await redrive(p, "k1")).status).toBe(404);
  });
});

describe("redrive: a webhook delivery", () => {
  it("reaches the receiver with the same deliveryId, signed afresh", async () => {
    const p = "dlr-webhook";
    const secret = "s3cret-of-sixteen-chars";
    const put = await api("PUT", `${P(p)}/webhook`, { token: ADMIN, json: { url: `${HOOK_URL}/redrive`, secret } });
    expect(put.status).toBe(200);
    hook = receiver(() => 503);
    const body = { deliveryId: "dlv_redrive", seq: 7, productId: p, type: "job.stage", at: 1 };
    const result = await deliverWebhooks([
      { id: "w1", body: { kind: "webhook", productId: p, body }, attempts: WEBHOOK_LAST_TRY },
    ]);
    expect(result.explicitAcks).toEqual(["w1"]);
    hook.restore();
    hook = receiver(() => 200);

    expect(await redrive(p, "w1")).toMatchObject({ status: 200, body: { queue: "webhook" } });
    const got = await until(
      async () => hook?.received.filter((r) => r.body.deliveryId === "dlv_redrive") ?? [],
      (r) => r.length > 0,
      { what: "the redriven delivery at the receiver" },
    );
    expect(got[0]?.headers["x-gigafactory-delivery"]).toBe("dlv_redrive");
    expect(got[0]?.body).toEqual(body);
    expect(await verifySignature(secret, got[0]!)).toBe(true);
    expect(await listed(p)).toEqual([]);
  });
});

describe("redrive: a webhook delivery of a product with no webhook now", () => {
  it("is refused (409) and kept: sent, it would be acked unsent and its only record deleted", async () => {
    const p = "dlr-webhook-gone";
    const secret = "s3cret-of-sixteen-chars";
    const setHook = () => api("PUT", `${P(p)}/webhook`, { token: ADMIN, json: { url: `${HOOK_URL}/gone`, secret } });
    expect((await setHook()).status).toBe(200);
    hook = receiver(() => 503);
    const body = { deliveryId: "dlv_gone", seq: 8, productId: p, type: "job.stage", at: 1 };
    await deliverWebhooks([{ id: "wg1", body: { kind: "webhook", productId: p, body }, attempts: WEBHOOK_LAST_TRY }]);
    expect((await listed(p)).map((d) => d.id)).toEqual(["wg1"]);
    expect((await api("DELETE", `${P(p)}/webhook`, { token: ADMIN })).status).toBe(200);

    const refused = await redrive(p, "wg1");
    expect(refused).toMatchObject({ status: 409, body: { code: "dead_letter_not_redrivable" } });
    expect(String(refused.body.detail)).toContain("no webhook");
    expect((await listed(p)).map((d) => d.id)).toEqual(["wg1"]);

    // Once a webhook is set again, the same dead letter goes out.
    expect((await setHook()).status).toBe(200);
    hook.restore();
    hook = receiver(() => 200);
    expect(await redrive(p, "wg1")).toMatchObject({ status: 200, body: { queue: "webhook" } });
    await until(
      async () => hook?.received.filter((r) => r.body.deliveryId === "dlv_gone") ?? [],
      (r) => r.length > 0,
      { what: "the redriven delivery at the receiver" },
    );
    expect(await listed(p)).toEqual([]);
  });
});

describe("redrive: a dispatch message", () => {
  it("creates its jobs; redriven again, an item whose key made a job makes no second one", async () => {
    const p = "dlr-dispatch";
    await createProduct(p);
    const item = (title: string, key: string) => ({ manifest: { title, idempotencyKey: key }, bodyMd: "" });
    const letter = (id: string, items: unknown[]) => ({
      id,
      productId: p,
      source: "queue:submit",
      reason: "delivery failed after all retries",
      body: { kind: "submit", productId: p, actor: "op", origin: "tracker:t", items },
      attempts: 5,
      at: Date.now(),
    });
    const titles = async () =>
      (await api<{ jobs: Array<{ title: string }> }>("GET", `${P(p)}/jobs`, { token: ADMIN })).body.jobs
        .map((j) => j.title)
        .sort();
    await recordDeadLetters(env.DB, [letter("s1", [item("first", "dlr-key-1")])]);
    expect(await redrive(p, "s1")).toMatchObject({ status: 200, body: { queue: "dispatch" } });
    await until(titles, (t) => t.length === 1, { what: "the redriven job" });
    // A message holding the same item again, and a new one: once the new one's job exists, the message was consumed.
    await recordDeadLetters(env.DB, [letter("s2", [item("first", "dlr-key-1"), item("second", "dlr-key-2")])]);
    expect((await redrive(p, "s2")).status).toBe(200);
    await until(titles, (t) => t.includes("second"), { what: "the second message's new job" });
    expect(await titles()).toEqual(["first", "second"]);
  });
});

describe("redrive: a dispatch message older than its keys", () => {
  it("is refused (409) and kept once a job its item made may be forgotten by key: no second job", async () => {
    const p = "dlr-old-dispatch";
    await createProduct(p);
    // The cron prunes the products that wrote history.
    await env.DB.prepare("INSERT OR IGNORE INTO products(id, first_seen_at, last_seen_at) VALUES (?, 0, 0)")
      .bind(p)
      .run();
    const now = Date.now();
    const manifest = { title: "paid once", idempotencyKey: "dlr-old-key" };
    // Its message was dead-lettered 8 days ago; the client, told `unavailable`, sent the item again itself.
    await recordDeadLetters(env.DB, [
      {
        id: "old-submit",
        productId: p,
        source: "queue:submit",
        reason: "delivery failed after all retries",
        body: { kind: "submit", productId: p, actor: "op", origin: "tracker:t", items: [{ manifest, bodyMd: "" }] },
        attempts: 5,
        at: now - 8 * DAY,
      },
    ]);
    expect((await api("POST", `${P(p)}/jobs`, { token: ADMIN, json: { manifest } })).status).toBe(201);
    // Retention, a week on, forgets the key (the job stays): a redrive now would make the job a second time.
    await sweepAll(env, now + 8 * DAY);
    const r = await redrive(p, "old-submit");
    expect([r.status, r.headers.get("content-type"), r.body.code]).toEqual([
      409,
      "application/problem+json",
      "dead_letter_not_redrivable",
    ]);
    expect(String(r.body.detail)).toContain("idempotency key");
    expect((await listed(p)).map((d) => d.id)).toEqual(["old-submit"]);
    const jobs = await api<{ jobs: Array<{ title: string }> }>("GET", `${P(p)}/jobs`, { token: ADMIN });
    expect(jobs.body.jobs.map((j) => j.title)).toEqual(["paid once"]);
  });
});

describe("redrive: refusals keep the dead letter", () => {
  const p = "dlr-refused";
  const letter = (id: string, source: string, body: unknown) => ({
    id,
    productId: p,
    source,
    reason: "r",
    body,
    attempts: 5,
    at: 1,
  });

  it("a viewer is refused (403)", async () => {
    await createProduct(p);
    await recordDeadLetters(env.DB, [letter("v1", "queue:history", audit(p, 1, "x"))]);
    const viewer = await mintToken(p, "viewer");
    expect(await redrive(p, "v1", viewer.token)).toMatchObject({ status: 403, body: { code: "forbidden" } });
    expect((await listed(p)).map((d) => d.id)).toContain("v1");
  });

  it("an unreadable body, another product's message or an outbox record is a 409 with its code", async () => {
    await createProduct(p);
    await recordDeadLetters(env.DB, [
      letter("foreign", "queue:history", { kind: "history", productId: "dlr-victim", records: [] }),
      letter("outbox:3", "outbox:event", { jobId: "j", type: "stage", at: 1, data: {} }),
    ]);
    await env.DB.prepare(
      "INSERT INTO dead_letters (id, product_id, source, reason, body, attempts, at) VALUES ('garbled', ?, 'queue:history', 'r', '{not json', 5, 1)",
    )
      .bind(p)
      .run();
    const codes: unknown[] = [];
    for (const id of ["garbled", "foreign", "outbox:3"]) {
      const r = await redrive(p, id);
      codes.push([r.status, r.headers.get("content-type"), r.body.code]);
    }
    expect(codes).toEqual([
      [409, "application/problem+json", "dead_letter_malformed"],
      [409, "application/problem+json", "dead_letter_malformed"],
      [409, "application/problem+json", "dead_letter_not_redrivable"],
    ]);
    const kept = await env.DB.prepare("SELECT id FROM dead_letters WHERE product_id = ? ORDER BY id").bind(p).all();
    expect(kept.results.map((r) => r.id)).toEqual(["foreign", "garbled", "outbox:3", "v1"]);
  });
});
