// Queues: bulk submission and history reach their destinations in batches, idempotently;
// failing messages retry, then land in the dead-letter queue, visible through the API
// (marked `partial` while D1 cannot be read).
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { HistoryMessage, HistoryRecord } from "../../src/history/write.ts";
import worker from "../../src/worker/index.ts";
import type { DispatchMessage } from "../../src/worker/queues/messages.ts";
import { ADMIN, api, P } from "./client";
import { auditDelivered } from "./history-wait.ts";

function msg<T>(id: string, body: T, attempts = 1) {
  return { id, timestamp: new Date(), attempts, body };
}

async function run<T>(queue: string, messages: Array<ReturnType<typeof msg<T>>>) {
  const batch = createMessageBatch<T>(queue, messages);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch, env, ctx);
  return getQueueResult(batch, ctx);
}

function manifestOf(title: string) {
  return {
    title,
    priority: "medium" as const,
    requires: [],
    prefers: [],
    budget: {},
    deps: [],
    depsMode: "all" as const,
    maxAttempts: 3,
    reviewers: 0,
    onReject: "fail" as const,
    kind: "task" as const,
  };
}

describe("dispatch queue", () => {
  it("bulk submission answers 202 and the consumer creates each job once, even when redelivered", async () => {
    const product = "q-bulk";
    const items = [
      { manifest: { title: "a" } },
      { markdown: "---\ntitle: b\npriority: high\n---\nbody" },
      { manifest: { title: "c", idempotencyKey: "own-key" } },
      { manifest: { title: "bad", priority: "urgent" } },
    ];
    const r = await api<{ accepted: number; idempotencyKeys: string[]; rejected: Array<{ index: number }> }>(
      "POST",
      `${P(product)}/jobs:batch`,
      { token: ADMIN, json: { items } },
    );
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(3);
    expect(r.body.rejected.map((x) => x.index)).toEqual([3]);
    expect(r.body.idempotencyKeys[2]).toBe("own-key");

    // Deliver what was enqueued, as the consumer would receive it — twice.
    const bodies = r.body.idempotencyKeys.map((key, i) => ({
      manifest: { title: ["a", "b", "c"][i], idempotencyKey: key },
    }));
    const message: DispatchMessage = {
      kind: "submit",
      productId: product,
      actor: "test",
      origin: "batch:t",
      items: bodies.map((b) => ({
        manifest: { ...manifestOf(b.manifest.title!), idempotencyKey: b.manifest.idempotencyKey },
        bodyMd: "",
      })),
    };
    for (const id of ["m1", "m1-redelivered"]) {
      const result = await run("gigafactory-dispatch", [msg(id, message)]);
      expect(result.explicitAcks).toEqual([id]);
    }
    const list = await api<{ jobs: Array<{ title: string }> }>("GET", `${P(product)}/jobs`, { token: ADMIN });
    expect(list.body.jobs.map((j) => j.title).sort()).toEqual(["a", "b", "c"]);
  });

  it("records items the coordinator refuses as dead letters instead of retrying them forever", async () => {
    const product = "q-refused";
    const message: DispatchMessage = {
      kind: "submit",
      productId: product,
      actor: "test",
      origin: "batch:x",
      items: [
        {
          manifest: { ...manifestOf("needs missing dep"), idempotencyKey: "k1", deps: ["job_missing"] },
          bodyMd: "",
        },
      ],
    };
    const result = await run("gigafactory-dispatch", [msg("m-refused", message)]);
    expect(result.explicitAcks).toEqual(["m-refused"]);
    const dl = await api<{ items: Array<{ source: string; reason: string }> }>("GET", `${P(product)}/dead-letters`, {
      token: ADMIN,
    });
    expect(dl.body.items).toHaveLength(1);
    expect(dl.body.items[0]?.reason).toContain("validation_failed");
  });

  it("dead-letters a malformed message at once instead of retrying it", async () => {
    const broken = { kind: "submit", productId: "q-malformed", actor: "t", origin: "x", items: [{ manifest: null }] };
    const result = await run("gigafactory-dispatch", [msg("m-broken", broken, 1)]);
    expect(result.explicitAcks).toEqual(["m-broken"]);
    const dl = await api<{ items: Array<{ reason: string }> }>("GET", `${P("q-malformed")}/dead-letters`, {
      token: ADMIN,
    });
    expect(dl.body.items[0]?.reason).toContain("malformed");
  });

  it("retries a message whose coordinator is unreachable, acking the others", async () => {
    // Simulate an outage of one dependency (not storage): the coordinator namespace throws.
    const down = {
      ...env,
      COORDINATOR: { getByName: () => ({ submitMany: () => Promise.reject(new Error("coordinator unreachable")) }) },
    } as unknown as Env;
    const good: DispatchMessage = { kind: "submit", productId: "q-retry", actor: "t", origin: "x", items: [] };
    const batch = createMessageBatch<DispatchMessage>("gigafactory-dispatch", [
      msg("m-retry", { ...good, items: [{ manifest: manifestOf("r"), bodyMd: "" }] }, 3),
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch, down, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["m-retry"]);
  });

  it("the dead-letter consumer records poison messages where the API shows them", async () => {
    const poison = { kind: "submit", productId: "q-dlq", items: "garbage" };
    const result = await run("gigafactory-dlq", [msg("m-poison", poison, 5)]);
    expect(result.explicitAcks).toEqual(["m-poison"]);
    const dl = await api<{ items: Array<{ id: string; attempts: number; source: string }> }>(
      "GET",
      `${P("q-dlq")}/dead-letters`,
      {
        token: ADMIN,
      },
    );
    expect(dl.body.items).toEqual([expect.objectContaining({ id: "m-poison", attempts: 5, source: "queue:submit" })]);
  });
});

describe("the dead-letter consumer never drops a dead letter", () => {
  // A real D1 failure, not a mock: the table it writes to is renamed away for the duration.
  async function withoutD1DeadLetters<T>(fn: () => Promise<T>): Promise<T> {
    await env.DB.exec("ALTER TABLE dead_letters RENAME TO dead_letters_away");
    try {
      return await fn();
    } finally {
      await env.DB.exec("ALTER TABLE dead_letters_away RENAME TO dead_letters");
    }
  }

  it("keeps what D1 refuses in the product's coordinator, acks it, and still lists it through the API", async () => {
    const poison = { kind: "history", productId: "q-dlq-keep", records: "garbage" };
    const { result, dl } = await withoutD1DeadLetters(async () => ({
      result: await run("gigafactory-dlq", [msg("m-kept", poison, 5)]),
      dl: await api<{ items: Array<{ id: string; source: string; reason: string; body: unknown }>; partial?: true }>(
        "GET",
        `${P("q-dlq-keep")}/dead-letters`,
        { token: ADMIN },
      ),
    }));
    expect(result.explicitAcks).toEqual(["m-kept"]);
    expect(dl.status).toBe(200);
    // Said, so a reader paging on does not take the coordinator's alone for the whole list.
    expect(dl.body.partial).toBe(true);
    expect(dl.body.items).toEqual([
      expect.objectContaining({
        id: "m-kept",
        source: "queue:history",
        reason: expect.stringContaining("D1 refused"),
        body: poison,
      }),
    ]);
    // Still there once D1 is back: kept durably, not only for the moment.
    const again = await api<{ items: Array<{ id: string }> }>("GET", `${P("q-dlq-keep")}/dead-letters`, {
      token: ADMIN,
    });
    expect(again.body).toEqual({ items: [expect.objectContaining({ id: "m-kept" })] }); // whole: no `partial`
  });

  // A redelivered dead letter (its ack lost, or a sibling item of its message unkept) comes back with the same id:
  // the coordinator kept it once but audited and alerted it again on every delivery, so the audit log — which
  // viewers read — showed one dead letter as many.
  it("audits a dead letter it keeps in the coordinator once, however often the queue delivers it", async () => {
    const product = "q-dlq-once";
    const poison = { kind: "history", productId: product, records: "garbage" };
    await withoutD1DeadLetters(async () => {
      for (const attempts of [5, 6]) {
        expect((await run("gigafactory-dlq", [msg("m-twice", poison, attempts)])).explicitAcks).toEqual(["m-twice"]);
      }
      // Another, kept after both.
      expect((await run("gigafactory-dlq", [msg("m-marker", poison, 5)])).explicitAcks).toEqual(["m-marker"]);
    });
    // Once every entry the coordinator wrote is in D1 (history-wait `auditDelivered`), a second for m-twice would be.
    const audits = await auditDelivered(product);
    const deadLettered = audits.filter((a) => a.action === "outbox.dead_letter");
    expect(deadLettered.map((a) => a.target).sort()).toEqual(["m-marker", "m-twice"]);
    const listed = await api<{ items: Array<{ id: string }> }>("GET", `${P(product)}/dead-letters`, { token: ADMIN });
    expect(listed.body.items.map((d) => d.id).sort()).toEqual(["m-marker", "m-twice"]);
  });

  it("leaves a dead letter it could keep nowhere unacked, for the queue to deliver again", async () => {
    const orphan = { kind: "history", records: [] }; // no product: no coordinator to keep it in
    const result = await withoutD1DeadLetters(() => run("gigafactory-dlq", [msg("m-orphan", orphan, 2)]));
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["m-orphan"]);
  });
});

describe("history queue", () => {
  const record = (seq: number, stage: string): HistoryRecord => ({
    productId: "q-history",
    seq,
    kind: "snapshot",
    body: {
      jobId: "job_1",
      rev: seq,
      stage,
      at: seq,
      title: "t",
      priority: "medium",
      attempt: 0,
      leaseEpoch: 0,
      doc: {},
    },
  });

  const packed = (...records: HistoryRecord[]): HistoryMessage => ({
    kind: "history",
    productId: "q-history",
    records,
  });

  it("writes a batch of packed messages to D1 in one go and acks it; a redelivered batch changes nothing", async () => {
    for (let i = 0; i < 2; i++) {
      const result = await run("gigafactory-history", [
        msg("h1", packed(record(1, "queued"), record(2, "assigned"))),
        msg("h2", packed(record(3, "building"))),
      ]);
      expect(result.ackAll).toBe(true);
    }
    const rows = await env.DB.prepare(
      "SELECT stage FROM job_snapshots WHERE product_id = 'q-history' ORDER BY rev",
    ).all();
    expect(rows.results.map((r) => r.stage)).toEqual(["queued", "assigned", "building"]);
    const product = await env.DB.prepare("SELECT id FROM products WHERE id = 'q-history'").first();
    expect(product).toEqual({ id: "q-history" });
  });

  it("keeps a malformed message as a dead letter at once (never retried) and acks the good ones beside it", async () => {
    const result = await run("gigafactory-history", [
      msg("good", packed(record(10, "queued"))),
      msg("bad", { kind: "history", productId: "q-history", records: "nope" } as unknown as HistoryMessage),
    ]);
    expect(result.explicitAcks.sort()).toEqual(["bad", "good"]);
    expect(result.retryMessages).toEqual([]);
  });
});
