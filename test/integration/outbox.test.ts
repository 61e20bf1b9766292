// The outbox never jams: a record the history queue refuses is retried on its own and dead-lettered
// (kept, audited, listed by the API) after its last try or at once when too large for any message,
// while every later feed event and history row still arrives; an outage of the queue, however long, dead-letters
// nothing (a try counts only when the queue took other messages); records are bounded in bytes at creation.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { jsonBytes } from "../../src/core/bytes.ts";
import { MAX_DELIVERY_ATTEMPTS, retryDelayMs } from "../../src/core/delivery-retry.ts";
import { MAX_REVIEWS_KEPT, RECORD_MAX_BYTES } from "../../src/core/record-bounds.ts";
import { deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import {
  enqueue,
  enqueueAudit,
  enqueueEvent,
  type RunBody,
  type SnapshotBody,
} from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { HistoryMessage } from "../../src/history/write.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { ADMIN, api, P, submit, until } from "./client";
import { deliveryHost } from "./state";

const audits = (product: string) =>
  api<{ items: Array<{ action: string; target: string; detail: Record<string, unknown> }> }>(
    "GET",
    `${P(product)}/history?kind=audit&limit=500`,
    { token: ADMIN },
  );
const deadLetters = (product: string) =>
  api<{ items: Array<{ id: string; source: string; reason: string; attempts: number }> }>(
    "GET",
    `${P(product)}/dead-letters`,
    { token: ADMIN },
  );
const feed = (product: string, jobId: string) =>
  env.JOB_FEED.getByName(feedName(product, jobId)).list(0, 500) as Promise<{ events: Array<{ type: string }> }>;

describe("a poison record does not block the outbox", () => {
  it("a record too large for any queue message is dead-lettered at once; later rows and events still arrive", async () => {
    const product = "outbox-oversized";
    await submit(product, { title: "before" }); // binds the coordinator and drains its first records
    // A record from before records were bounded at creation: 150 KiB, more than a queue message holds.
    const seq = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const body = {
        at: 1,
        actor: "legacy",
        action: "legacy.huge",
        target: "x",
        detail: { blob: "x".repeat(150 * 1024) },
      };
      state.storage.sql.exec("INSERT INTO outbox(kind, body) VALUES ('audit', ?)", JSON.stringify(body));
      return state.storage.sql.exec<{ s: number }>("SELECT MAX(seq) AS s FROM outbox").one().s;
    });
    const later = await submit(product, { title: "after" });

    const snaps = await until(
      () =>
        api<{ items: unknown[] }>("GET", `${P(product)}/history?kind=snapshots&jobId=${later.id}`, { token: ADMIN }),
      (r) => r.body.items.length === 1,
    );
    expect(snaps.body.items).toHaveLength(1);
    // Read as any reader does: opening the feed ships its held events (core/feed-hold).
    const events = await api<{ events: Array<{ type: string }> }>("GET", `${P(product)}/jobs/${later.id}/events`, {
      token: ADMIN,
    });
    expect(events.body.events.map((e) => e.type)).toContain("job.submitted");
    const dl = await until(
      () => deadLetters(product),
      (r) => r.body.items.length > 0,
    );
    expect(dl.body.items).toEqual([
      expect.objectContaining({
        id: `outbox:${seq}`,
        source: "outbox:audit",
        reason: expect.stringContaining("exceeds"),
      }),
    ]);
    const audit = await until(
      () => audits(product),
      (r) => r.body.items.some((a) => a.action === "outbox.dead_letter"),
    );
    expect(audit.body.items.find((a) => a.action === "outbox.dead_letter")?.detail).toMatchObject({
      seq,
      kind: "audit",
    });
  });

  it("a record the queue keeps refusing is retried alone, dead-lettered after the last try, and never holds others back", async () => {
    const product = "outbox-poison";
    const stub = env.COORDINATOR.getByName(product);
    // The history queue refuses any message carrying the poison record, as it refuses a bad batch.
    const refusing = {
      send: (body: HistoryMessage, opts?: QueueSendOptions) =>
        body.records.some((r) => r.body.action === "poison")
          ? Promise.reject(new Error("queue refused the message"))
          : env.HISTORY_QUEUE.send(body, opts),
    };
    const result = await runInDurableObject(stub, async (_instance, state) => {
      let clock = 1_000_000;
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      const tx = (): Tx => ({ sql, productId: product, now: clock });
      const host = deliveryHost(product, sql, {
        env: { ...env, HISTORY_QUEUE: refusing } as unknown as Env,
        appendFeeds: (batches) => appendFeeds(env, product, batches),
        now: () => clock,
        transact: (fn) => state.storage.transactionSync(() => fn(tx())),
      });
      const write = (fn: (t: Tx) => void) => state.storage.transactionSync(() => fn(tx()));
      // The poison record first, then the records behind it. job_1's feed is read, so its events are never held.
      write((t) => {
        wantFeed(t, "job_1");
        enqueueAudit(t, "op", "poison", "job_p");
        enqueueAudit(t, "op", "behind", "job_1");
        enqueueEvent(t, "job_1", "job.submitted", { n: 1 });
      });
      const rounds: string[] = [];
      for (let attempt = 1; attempt <= MAX_DELIVERY_ATTEMPTS; attempt++) {
        await deliverOutbox(host, 0);
        // Records written while the poison one waits for its retry go out at once.
        write((t) => {
          enqueueAudit(t, "op", `later-${attempt}`, "job_1");
          enqueueEvent(t, "job_1", "progress", { attempt });
        });
        await deliverOutbox(host, 0);
        rounds.push(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n.toString());
        clock += retryDelayMs(attempt) + 1;
      }
      const dead = sql.exec<{ id: string; attempts: number }>("SELECT id, attempts FROM dead_letters").toArray();
      await deliverOutbox(host, 0); // ships the audit record of the dead letter
      const left = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
      return { rounds, dead, left };
    });
    // Only the poison record ever waited in the outbox; then it became the one dead letter.
    // (The first failure took the record packed beside it down too — the queue took an empty message that round, so
    // it was up: outbox/round-plan `probeQueue`; from then on each went alone.)
    expect(result.rounds).toEqual(["2", ...Array(MAX_DELIVERY_ATTEMPTS - 2).fill("1"), "0"]);
    expect(result.dead).toEqual([{ id: "outbox:1", attempts: MAX_DELIVERY_ATTEMPTS }]);
    expect(result.left).toBe(0);

    // Each entry waited for: the dead letter's arrival says nothing of the others' (test/integration/history-wait).
    const delivered = ["outbox.dead_letter", "behind", "later-1", `later-${MAX_DELIVERY_ATTEMPTS}`];
    const audit = await until(
      () => audits(product),
      (r) => delivered.every((x) => r.body.items.some((a) => a.action === x)),
    );
    const actions = audit.body.items.map((a) => a.action);
    expect(actions).not.toContain("poison");
    const events = (await feed(product, "job_1")).events;
    expect(events.map((e) => e.type)).toEqual(["job.submitted", ...Array(MAX_DELIVERY_ATTEMPTS).fill("progress")]);
    const dl = await deadLetters(product);
    expect(dl.body.items).toEqual([
      expect.objectContaining({ id: "outbox:1", source: "outbox:audit", attempts: MAX_DELIVERY_ATTEMPTS }),
    ]);
  });
});

describe("an outage is not poison", () => {
  it("a round in which every destination fails counts no try against any record; the outbox backs off whole", async () => {
    const product = "outbox-outage";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      const tx = (): Tx => ({ sql, productId: product, now: 5_000 });
      const down = () => Promise.reject(new Error("destination down"));
      const host = deliveryHost(product, sql, {
        env: { ...env, HISTORY_QUEUE: { send: down } } as unknown as Env,
        appendFeeds: down,
        now: () => 5_000,
        transact: (fn) => state.storage.transactionSync(() => fn(tx())),
      });
      state.storage.transactionSync(() => {
        wantFeed(tx(), "job_1"); // read, so not held: the round has two destinations
        enqueueAudit(tx(), "op", "a", "job_1");
        enqueueEvent(tx(), "job_1", "job.submitted");
      });
      const result = await deliverOutbox(host, 2);
      return {
        result,
        retries: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox_retries").one().n,
        left: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
      };
    });
    expect(out.retries).toBe(0);
    expect(out.left).toBe(2);
    // The feeds the outage round tried: they share one probe per backoff window (outbox/outage-probe).
    expect(out.result).toEqual({ settled: 0, backoffUntil: 5_000 + retryDelayMs(3), refusedFeeds: ["job_1"] });
  });
});

describe("a queue outage is not poison either", () => {
  it("a history queue down for longer than all the tries dead-letters nothing, while feeds go on; its records land once it is back", async () => {
    const product = "outbox-queue-outage";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      let clock = 1_000_000;
      let up = false;
      const tx = (): Tx => ({ sql, productId: product, now: clock });
      const queue = {
        send: (body: HistoryMessage, opts?: QueueSendOptions) =>
          up ? env.HISTORY_QUEUE.send(body, opts) : Promise.reject(new Error("queue unavailable")),
      };
      const host = deliveryHost(product, sql, {
        env: { ...env, HISTORY_QUEUE: queue } as unknown as Env,
        appendFeeds: (batches) => appendFeeds(env, product, batches),
        now: () => clock,
        transact: (fn) => state.storage.transactionSync(() => fn(tx())),
      });
      const write = (fn: (t: Tx) => void) => state.storage.transactionSync(() => fn(tx()));
      // A quiet product: one operator action. A watched job's feed gets an event every round, and its feed takes it.
      write((t) => {
        wantFeed(t, "job_w");
        enqueueAudit(t, "op", "settings.update", "product");
      });
      const waits: number[] = [];
      for (let round = 1; round <= 2 * MAX_DELIVERY_ATTEMPTS; round++) {
        write((t) => enqueueEvent(t, "job_w", "progress", { round }));
        await deliverOutbox(host, 0);
        const next = sql.exec<{ t: number }>("SELECT MIN(next_at) AS t FROM outbox_retries").one().t;
        waits.push(next - clock);
        clock = next;
      }
      const during = {
        dead: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM dead_letters").one().n,
        attempts: sql.exec<{ a: number }>("SELECT MAX(attempts) AS a FROM outbox_retries").one().a,
        history: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE kind <> 'event'").one().n,
        events: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'event'").one().n,
      };
      up = true;
      await deliverOutbox(host, 0);
      const left = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
      return { waits, during, left };
    });
    // Not one try counted: nothing dead-lettered, the record waits — longer each round the queue takes nothing
    // (2 s, 4 s … capped at 5 min), so an outage is not hammered — and every feed event went out meanwhile.
    expect(out.during).toEqual({ dead: 0, attempts: 0, history: 1, events: 0 });
    expect(out.waits.slice(0, 3)).toEqual([retryDelayMs(1), retryDelayMs(2), retryDelayMs(3)]);
    expect(out.waits.at(-1)).toBe(retryDelayMs(2 * MAX_DELIVERY_ATTEMPTS));
    expect(out.left).toBe(0);
    const audit = await until(
      () => audits(product),
      (r) => r.body.items.some((a) => a.action === "settings.update"),
    );
    // Besides the product's own creation (audited by POST /api/v1/products: product-create-audit), the one action.
    const actions = audit.body.items.map((a) => a.action).filter((a) => a !== "product.create");
    expect(actions).toEqual(["settings.update"]);
    expect((await deadLetters(product)).body.items).toEqual([]);
  });
});

describe("records are bounded in bytes at creation", () => {
  it("every record kind stays within its budget, and a job's reviews stop growing", async () => {
    const product = "outbox-bounds";
    const job = await submit(product, { title: "reviewed", reviewers: 10, onReject: "requeue" });
    // Set state instead of replaying 60 review rounds: the job is in review with a long review history.
    const many = Array.from({ length: 60 }, (_, i) => ({
      reviewer: `r${i}`,
      verdict: "reject",
      note: "n".repeat(3000),
      at: i,
    }));
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec(
        "UPDATE jobs SET stage = 'review', doc = json_set(doc, '$.stage', 'review', '$.reviews', json(?)) WHERE id = ?",
        JSON.stringify(many),
        job.id,
      );
    });
    const r = await api<{ reviews: unknown[] }>("POST", `${P(product)}/jobs/${job.id}/actions/approve`, {
      token: ADMIN,
      json: { reviewer: "last", note: "漢".repeat(1000) },
    });
    expect(r.status).toBe(200);
    expect(r.body.reviews).toHaveLength(MAX_REVIEWS_KEPT);

    const sizes = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const tx: Tx = { sql: state.storage.sql, productId: product, now: 1 };
      return state.storage.transactionSync(() => {
        // Bodies cut down to the fields that make them large: only their size is under test.
        const doc = { blob: "é".repeat(200_000) } as unknown as SnapshotBody["doc"];
        enqueue(tx, { kind: "snapshot", body: { jobId: "j", doc } as SnapshotBody });
        const result = { message: "🙂".repeat(50_000) } as unknown as RunBody["result"];
        enqueue(tx, { kind: "run", body: { jobId: "j", result } as RunBody });
        enqueueAudit(tx, "op", "big", "j", { note: "x".repeat(100_000) });
        enqueueEvent(tx, "j", "progress", { note: "y".repeat(100_000) });
        return state.storage.sql
          .exec<{ kind: string; body: string }>("SELECT kind, body FROM outbox ORDER BY seq DESC LIMIT 4")
          .toArray()
          .map((row) => ({
            kind: row.kind,
            bytes: jsonBytes(JSON.parse(row.body)),
            truncated: row.body.includes('"truncated"'),
          }));
      });
    });
    for (const s of sizes) {
      expect(s.bytes).toBeLessThanOrEqual(RECORD_MAX_BYTES[s.kind as keyof typeof RECORD_MAX_BYTES]);
      expect(s.truncated).toBe(true);
    }
  });
});
