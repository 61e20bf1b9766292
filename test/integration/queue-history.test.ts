// The history queue's consumer (worker/queues/history) against real D1: a poison message or record is kept as a dead
// letter at once, with a reason a person can read, and everything else in its batch lands; a write D1 refuses on the
// queue's last delivery is kept with D1's error — the record D1 refuses, not the rest of its message; a batch of many products writes in one go and records every
// product for the reaper; a record cannot write into another product's history, nor one whose time or job id the
// history's cursors cannot carry; a lesson's older record, delivered again after a newer one of the same
// millisecond, does not undo it; an empty message (the outbox's probe of the queue) is acknowledged and writes nothing.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { HistoryMessage, HistoryRecord } from "../../src/history/write.ts";
import worker from "../../src/worker/index.ts";
import { LAST_TRY } from "../../src/worker/queues/history.ts";
import { ADMIN, api, createProduct, P } from "./client";

const msg = (id: string, body: unknown, attempts = 1) => ({ id, timestamp: new Date(), attempts, body });

async function run(messages: Array<ReturnType<typeof msg>>, e: Env = env) {
  const batch = createMessageBatch<HistoryMessage>("gigafactory-history", messages as never);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch, e, ctx);
  return getQueueResult(batch, ctx);
}

const audit = (productId: string, seq: number, action: string): HistoryRecord => ({
  productId,
  seq,
  kind: "audit",
  body: { at: seq, actor: "op", action, target: "t" },
});
const packed = (productId: string, ...records: unknown[]) => ({ kind: "history", productId, records });

async function actions(productId: string): Promise<string[]> {
  const r = await env.DB.prepare("SELECT action FROM audit_log WHERE product_id = ? ORDER BY at, seq, part")
    .bind(productId)
    .all<{ action: string }>();
  return r.results.map((x) => x.action);
}

async function deadLetters(productId: string) {
  const r = await api<{ items: Array<{ id: string; reason: string; source: string }> }>(
    "GET",
    `${P(productId)}/dead-letters`,
    { token: ADMIN },
  );
  expect(r.status).toBe(200);
  return r.body.items.sort((a, b) => a.id.localeCompare(b.id));
}

describe("history queue: the outbox's probe", () => {
  it("acknowledges an empty message and writes nothing: no dead letter, no product for the reaper", async () => {
    const p = "qh-probe";
    const result = await run([msg("probe", packed(p))]);
    expect(result.retryMessages).toEqual([]);
    expect(result.ackAll || result.explicitAcks.includes("probe")).toBe(true);
    const listed = await env.DB.prepare("SELECT id FROM products WHERE id = ?").bind(p).all();
    expect(listed.results).toEqual([]);
    const kept = await env.DB.prepare("SELECT id FROM dead_letters WHERE product_id = ?").bind(p).all();
    expect(kept.results).toEqual([]);
  });
});

describe("history queue: poison", () => {
  it("keeps a malformed message and malformed or foreign records as dead letters with their reason; the rest lands", async () => {
    const p = "qh-poison";
    const bogus = { productId: p, seq: 3, kind: "bogus", body: {} };
    const foreign = audit("qh-victim", 4, "forged");
    const batch = [
      msg("good", packed(p, audit(p, 1, "a1"))),
      msg("broken", { kind: "history", productId: p, records: "nope" }),
      msg("mixed", packed(p, audit(p, 2, "a2"), bogus, foreign, audit(p, 5, "a5"))),
    ];
    for (let i = 0; i < 2; i++) {
      // Delivered twice (at least once): nothing lands twice, no dead letter is kept twice.
      const result = await run(batch);
      expect(result.retryMessages).toEqual([]);
      expect(result.explicitAcks.sort()).toEqual(["broken", "good", "mixed"]);
    }
    expect(await actions(p)).toEqual(["a1", "a2", "a5"]);
    expect(await actions("qh-victim")).toEqual([]);
    const dl = await deadLetters(p);
    expect(dl.map((d) => d.id)).toEqual(["broken", "mixed:1", "mixed:2"]);
    expect(dl[0]?.reason).toMatch(/^malformed history message: records: /);
    expect(dl[1]?.reason).toMatch(/^malformed history record 1: kind: /);
    expect(dl[2]?.reason).toBe("history record 2 is of product qh-victim, not qh-poison");
    expect(dl.every((d) => d.source === "queue:history")).toBe(true);
  });

  it("retries a write D1 refuses, and on the last delivery keeps it as a dead letter with D1's error", async () => {
    const p = "qh-refused";
    await env.DB.exec("ALTER TABLE audit_log RENAME TO audit_log_away");
    let early: Awaited<ReturnType<typeof run>>;
    let last: Awaited<ReturnType<typeof run>>;
    try {
      early = await run([msg("r1", packed(p, audit(p, 1, "x")), 1)]);
      last = await run([msg("r2", packed(p, audit(p, 2, "y")), LAST_TRY)]);
    } finally {
      await env.DB.exec("ALTER TABLE audit_log_away RENAME TO audit_log");
    }
    expect(early.explicitAcks).toEqual([]);
    expect(early.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["r1"]);
    expect(last.explicitAcks).toEqual(["r2"]);
    const [dl] = await deadLetters(p);
    expect(dl).toMatchObject({ id: "r2", source: "queue:history" });
    expect(dl?.reason).toMatch(/^D1 refused the write on all 5 deliveries; the last: .*audit_log/);
  });
});

describe("history queue: the last delivery", () => {
  it("writes a refused message's records one at a time: only those D1 still refuses are dead letters", async () => {
    const p = "qh-last-try";
    const snapshot = {
      productId: p,
      seq: 2,
      kind: "snapshot",
      body: { jobId: "job_l", rev: 1, stage: "queued", title: "t", priority: "low", attempt: 0, at: 3, doc: {} },
    };
    const runRecord = {
      productId: p,
      seq: 3,
      kind: "run",
      body: { jobId: "job_l", attempt: 1, factoryId: "f", leaseEpoch: 1, startedAt: 3 },
    };
    // D1 refuses every audit entry (as it would a kind whose migration is not applied yet), and nothing else.
    await env.DB.exec("ALTER TABLE audit_log RENAME TO audit_log_away");
    let result: Awaited<ReturnType<typeof run>>;
    try {
      result = await run([msg("last", packed(p, audit(p, 1, "x"), snapshot, runRecord), LAST_TRY)]);
    } finally {
      await env.DB.exec("ALTER TABLE audit_log_away RENAME TO audit_log");
    }
    expect(result.explicitAcks).toEqual(["last"]);
    const landed = await env.DB.prepare(
      "SELECT (SELECT COUNT(*) FROM job_snapshots WHERE product_id = ?1) AS snapshots, (SELECT COUNT(*) FROM runs WHERE product_id = ?1) AS runs",
    )
      .bind(p)
      .first();
    expect(landed).toEqual({ snapshots: 1, runs: 1 });
    const dl = await deadLetters(p);
    expect(dl.map((d) => d.id)).toEqual(["last:0"]);
    expect(dl[0]?.reason).toMatch(/^D1 refused history record 0 on all 5 deliveries; the last: .*audit_log/);
  });
});

describe("history queue: keys the history pages by", () => {
  it("a record whose time or job id no cursor could carry is a dead letter; the rest pages through to the end", async () => {
    const p = "qh-keys";
    await createProduct(p);
    const snapshot = (seq: number, jobId: string, at: number) => ({
      productId: p,
      seq,
      kind: "snapshot",
      body: { jobId, rev: 1, stage: "queued", title: "t", priority: "low", attempt: 0, at, doc: {} },
    });
    const lessonOf = (seq: number, id: string, updatedAt: number) => ({
      productId: p,
      seq,
      kind: "lesson",
      body: { id, source: "operator", text: id, capabilities: [], count: 1, createdAt: 1, updatedAt, createdBy: "op" },
    });
    const runOf = (seq: number, jobId: string, startedAt: number) => ({
      productId: p,
      seq,
      kind: "run",
      body: { jobId, attempt: 1, factoryId: "f", leaseEpoch: 1, startedAt },
    });
    const result = await run([
      msg(
        "keys",
        packed(
          p,
          snapshot(1, "job_a", 10),
          snapshot(2, "job_b", 1.5), // a cursor's time is a whole ms
          snapshot(3, "job_c", -5), // before 0: no page (since ≥ 0) ever shows it
          snapshot(4, "job_d", 20),
          runOf(5, "job_a", 10),
          runOf(6, "r".repeat(250), 11), // its row id is past what a cursor carries
          runOf(7, "job_e", 1e300),
          runOf(8, "job_d", 20),
          lessonOf(9, "les_a", 10),
          lessonOf(10, "les_b", 2.5), // `…/lessons` pages by (updatedAt, id) too
          lessonOf(11, "lesson-b", 30), // not a lesson id: its page's cursor is refused
          lessonOf(12, "les_d", 20),
        ),
      ),
    ]);
    expect(result.explicitAcks).toEqual(["keys"]);
    expect((await deadLetters(p)).map((d) => d.id)).toEqual([
      "keys:1",
      "keys:10",
      "keys:2",
      "keys:5",
      "keys:6",
      "keys:9",
    ]);
    const lessons: string[] = [];
    type LessonPage = { items: Array<{ id: string }>; nextCursor?: string };
    for (let cursor: string | undefined = ""; cursor !== undefined; ) {
      const r: Awaited<ReturnType<typeof api<LessonPage>>> = await api<LessonPage>(
        "GET",
        `${P(p)}/lessons?limit=1${cursor && `&cursor=${cursor}`}`,
        { token: ADMIN },
      );
      expect(r.status).toBe(200);
      lessons.push(...r.body.items.map((i) => i.id));
      cursor = r.body.nextCursor;
    }
    expect(lessons).toEqual(["les_d", "les_a"]);
    // Every row D1 holds, read a row a page: each page's nextCursor is taken back, to the end.
    for (const [kind, want] of [
      ["snapshots", ["job_a", "job_d"]],
      ["runs", ["job_a", "job_d"]],
    ] as const) {
      const seen: string[] = [];
      let cursor = "";
      for (let more = true; more; ) {
        const r = await api<{ items: Array<{ jobId: string }>; nextCursor: string; more: boolean }>(
          "GET",
          `${P(p)}/history?kind=${kind}&limit=1${cursor && `&cursor=${cursor}`}`,
          { token: ADMIN },
        );
        expect(r.status).toBe(200);
        seen.push(...r.body.items.map((i) => i.jobId));
        [cursor, more] = [r.body.nextCursor, r.body.more];
      }
      expect(seen).toEqual(want);
    }
  });
});

describe("history queue: many products", () => {
  it("writes a batch of 40 products' messages in one go and records every product for the reaper", async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `qh-many-${i}`);
    const result = await run(ids.map((p, i) => msg(`m${i}`, packed(p, audit(p, 1, "x")))));
    expect(result.ackAll).toBe(true);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM products WHERE id LIKE 'qh-many-%'").first<{
      n: number;
    }>();
    expect(rows?.n).toBe(40);
  });
});

describe("history writes: cross-product isolation", () => {
  it("a lesson record of another product under an existing lesson's id edits nothing", async () => {
    const lesson = (productId: string, text: string, updatedAt: number) => ({
      productId,
      seq: updatedAt,
      kind: "lesson",
      body: {
        id: "les_shared",
        source: "manual",
        text,
        capabilities: [],
        count: 1,
        createdAt: 1,
        updatedAt,
        createdBy: "op",
      },
    });
    expect((await run([msg("l1", packed("qh-owner", lesson("qh-owner", "mine", 1)))])).ackAll).toBe(true);
    expect((await run([msg("l2", packed("qh-other", lesson("qh-other", "theirs", 2)))])).ackAll).toBe(true);
    const row = await env.DB.prepare("SELECT product_id AS p, text FROM lessons WHERE id = 'les_shared'").first();
    expect(row).toEqual({ p: "qh-owner", text: "mine" });
  });

  it("an older record of a lesson written in the same millisecond, redelivered after a newer one, undoes nothing", async () => {
    // An edit in the millisecond of the write before it keeps its `updatedAt` (policies/lessons: never lowered), and
    // so does an automatic repeat: only the outbox seq orders the two. The older one is delivered again last.
    const p = "qh-same-ms";
    const lesson = (seq: number, text: string, count: number, part?: number) => ({
      productId: p,
      seq,
      ...(part === undefined ? {} : { part }),
      kind: "lesson",
      body: {
        id: "les_samems",
        source: "auto",
        text,
        capabilities: [],
        count,
        createdAt: 7,
        updatedAt: 7,
        createdBy: "op",
      },
    });
    for (const [id, records] of [
      ["s1", [lesson(10, "first", 1)]],
      ["s2", [lesson(11, "second", 2, 0), lesson(11, "third", 3, 1)]],
      ["s1-again", [lesson(10, "first", 1)]],
      ["s2-part0-again", [lesson(11, "second", 2, 0)]],
    ] as const)
      expect((await run([msg(id, packed(p, ...records))])).ackAll).toBe(true);
    const row = await env.DB.prepare("SELECT text, count FROM lessons WHERE id = 'les_samems'").first();
    expect(row).toEqual({ text: "third", count: 3 });
  });
});
