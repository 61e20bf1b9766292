// A reader following `nextCursor` of `GET …/history` sees every row that reaches D1, and every later change of one,
// exactly once — whatever order the history queue delivers them in. The cursor followed event time, but rows land
// out of that order (a retried message after later ones, a dead letter delivered again, a run's end updating its row
// in place): a follower past a row's time never saw it. Now a browse's last page hands over a follow cursor that
// pages by `ingestSeq`, the D1 batch that wrote or last changed a row (history/write, migration 0006). Driven through
// the real queue consumer: late rows and run outcomes reach a follower; under random batching, order and
// redelivery no row version comes twice and each row's last sighting is its state in D1; a redelivery that changes
// nothing is not handed out again; a cursor issued before the change still browses on; the indexes serve both orders.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HistoryMessage, HistoryRecord } from "../../src/history/write.ts";
import { encodeHistoryCursor } from "../../src/shared/history-cursor.ts";
import worker from "../../src/worker/index.ts";
import { ADMIN, api, createProduct, P } from "./client";
import { createProductLanded, PRODUCT_CREATE } from "./history-wait.ts";

const T = 1_700_000_000_000;
type Item = Record<string, unknown> & { id: string; ingestSeq: number };
type Page = { kind: string; items: Item[]; nextCursor?: string; more: boolean };

const msg = (id: string, body: unknown, attempts = 1) => ({ id, timestamp: new Date(), attempts, body });

/** Hands `messages` to the Worker's history-queue consumer as one delivered batch; every one must be acked. */
async function deliver(messages: Array<ReturnType<typeof msg>>): Promise<void> {
  const batch = createMessageBatch<HistoryMessage>("gigafactory-history", messages as never);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  expect(result.retryMessages).toEqual([]);
}

/** Outbox seqs of the entries written here start past those of the product's coordinator (its product.create is 1). */
const SEQS = 1000;
const audit = (productId: string, seq: number, at: number, action: string): HistoryRecord => ({
  productId,
  seq: SEQS + seq, // an entry's id is its product and seq: one of the coordinator's own would be taken for it
  kind: "audit",
  body: { at, actor: "op", action, target: "t" },
});
const snapshot = (productId: string, seq: number, rev: number, at: number): HistoryRecord => ({
  productId,
  seq,
  kind: "snapshot",
  body: { jobId: "j1", rev, stage: `s${rev}`, title: "t", priority: "medium", attempt: 1, at, doc: {} },
});
/** A run's record: its start (`endedAt` absent) or its end, with an outcome. */
const run = (productId: string, seq: number, job: string, startedAt: number, endedAt?: number): HistoryRecord => ({
  productId,
  seq,
  kind: "run",
  body: {
    jobId: job,
    attempt: 1,
    factoryId: "f",
    leaseEpoch: 1,
    startedAt,
    ...(endedAt === undefined ? {} : { endedAt, result: { outcome: "success", rc: 0 } }),
  },
});
const packed = (productId: string, ...records: HistoryRecord[]) => ({ kind: "history", productId, records });

/**
 * One page, without the product's own `product.create`: the coordinator's outbox delivers it in its own time, so it
 * lands before, between or after the reads of a case — one that ran long (loaded) saw it on a page the cursor's
 * next read had passed, or in D1 and not among what the follower was handed. Its cursor is the page's as served.
 */
async function page(productId: string, kind: string, cursor?: string, limit = 50): Promise<Page> {
  const q = `kind=${kind}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`;
  const r = await api<Page>("GET", `${P(productId)}/history?${q}`, { token: ADMIN });
  expect(r.status).toBe(200);
  return { ...r.body, items: r.body.items.filter((i) => i.action !== PRODUCT_CREATE) };
}

/** Pages from `cursor` until `more` is false: the items, in order, and the cursor to go on from. */
async function drain(productId: string, kind: string, cursor: string | undefined, limit: number) {
  const items: Item[] = [];
  for (let i = 0; i < 100; i++) {
    const p = await page(productId, kind, cursor, limit);
    items.push(...p.items);
    cursor = p.nextCursor;
    if (!p.more) return { items, cursor };
  }
  throw new Error("more than 100 pages");
}

describe("following the history", () => {
  it("a row that reaches D1 after a follower passed its time is still seen (the reviewer's repro)", async () => {
    const productId = "hf-late";
    await createProductLanded(productId); // an empty page keeps the cursor only if nothing more lands meanwhile
    await deliver([msg("m2", { kind: "history", productId, records: [audit(productId, 2, T + 1, "second")] })]);
    const p1 = await page(productId, "audit");
    expect(p1.items.map((i) => i.action)).toEqual(["second"]);
    // seq 1's message failed, was retried alone, and lands now.
    await deliver([msg("m1", { kind: "history", productId, records: [audit(productId, 1, T, "first")] }, 2)]);
    const p2 = await page(productId, "audit", p1.nextCursor);
    expect(p2.items.map((i) => i.action)).toEqual(["first"]);
    // Caught up: an empty page keeps the follower's place.
    const p3 = await page(productId, "audit", p2.nextCursor);
    expect(p3).toEqual({ kind: "audit", items: [], more: false, nextCursor: p2.nextCursor });
  });

  it("a run whose outcome lands after a follower passed it is seen again, with its outcome", async () => {
    const productId = "hf-outcome";
    await createProduct(productId);
    await deliver([msg("a", packed(productId, run(productId, 1, "j1", T), run(productId, 2, "j2", T + 5)))]);
    const first = await drain(productId, "runs", undefined, 1);
    expect(first.items.map((r) => [r.jobId, r.outcome])).toEqual([
      ["j1", null],
      ["j2", null],
    ]);
    await deliver([msg("b", packed(productId, run(productId, 3, "j1", T, T + 9)))]);
    const next = await drain(productId, "runs", first.cursor, 1);
    expect(next.items.map((r) => [r.jobId, r.outcome, r.endedAt])).toEqual([["j1", "success", T + 9]]);
    expect(next.items[0]!.ingestSeq).toBeGreaterThan(first.items[0]!.ingestSeq);
  });

  it("redelivery that changes nothing is not handed out again; each row keeps its ingestSeq", async () => {
    const productId = "hf-redeliver";
    await createProduct(productId);
    const body = packed(
      productId,
      audit(productId, 1, T, "a"),
      snapshot(productId, 2, 1, T),
      run(productId, 3, "open", T), // stays open: its identical start comes again
      run(productId, 4, "done", T),
      run(productId, 5, "done", T, T + 1),
    );
    await deliver([msg("m", body)]);
    const seen: Record<string, Item[]> = {};
    const cursors: Record<string, string | undefined> = {};
    for (const kind of ["audit", "snapshots", "runs"]) {
      const got = await drain(productId, kind, undefined, 50);
      [seen[kind], cursors[kind]] = [got.items, got.cursor];
    }
    await deliver([msg("m", body, 2), msg("m-again", body)]);
    await deliver([msg("start-after-end", packed(productId, run(productId, 4, "done", T)))]);
    for (const kind of ["audit", "snapshots", "runs"]) {
      expect([kind, (await page(productId, kind, cursors[kind])).items]).toEqual([kind, []]);
      expect((await drain(productId, kind, undefined, 50)).items).toEqual(seen[kind]);
    }
  });

  it("under random batching, order and redelivery: no row version twice, every row last seen as D1 holds it", async () => {
    let n = 0;
    // Nine records in six messages: audit entries and snapshots out of time order, two runs' starts and ends.
    const messages = (p: string) => [
      packed(p, audit(p, 1, T + 3, "a1"), snapshot(p, 2, 1, T)),
      packed(p, audit(p, 3, T + 1, "a2")),
      packed(p, run(p, 4, "r1", T + 2), snapshot(p, 5, 2, T + 4)),
      packed(p, run(p, 6, "r1", T + 2, T + 8)),
      packed(p, run(p, 7, "r2", T), audit(p, 8, T, "a3")),
      packed(p, run(p, 9, "r2", T, T + 6)),
    ];
    const step = fc.record({
      m: fc.nat(5), // which message
      alsoNext: fc.boolean(), // in the same batch as the step after it
      read: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }), // the follower reads, this many a page
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        const p = `hf-random-${n++}`;
        await createProduct(p);
        const bodies = messages(p);
        // Every message at least once (after the random ones, in one batch, then a last read), some more: redelivery.
        const plan = [...steps, ...bodies.map((_, m) => ({ m, alsoNext: m < 5, read: m < 5 ? undefined : 3 }))];
        const cursors: Record<string, string | undefined> = {};
        const seen: Record<string, Item[]> = { audit: [], snapshots: [], runs: [] };
        let batch: Array<ReturnType<typeof msg>> = [];
        for (const [i, s] of plan.entries()) {
          batch.push(msg(`m${s.m}-${i}`, bodies[s.m]));
          if (s.alsoNext && i < plan.length - 1) continue;
          await deliver(batch);
          batch = [];
          if (s.read === undefined) continue;
          for (const kind of ["audit", "snapshots", "runs"]) {
            const got = await drain(p, kind, cursors[kind], s.read);
            seen[kind]!.push(...got.items);
            cursors[kind] = got.cursor;
          }
        }
        for (const kind of ["audit", "snapshots", "runs"]) {
          const held = (await drain(p, kind, undefined, 500)).items;
          const versions = seen[kind]!.map((r) => `${r.id}@${r.ingestSeq}`);
          expect(new Set(versions).size).toBe(versions.length);
          const last = new Map(seen[kind]!.map((r) => [r.id, r]));
          expect([...last.values()].sort((a, b) => a.id.localeCompare(b.id))).toEqual(
            [...held].sort((a, b) => a.id.localeCompare(b.id)),
          );
          // Entries and snapshots never change: once each. A run: at most at its start and at its end.
          const times = (id: string) => seen[kind]!.filter((r) => r.id === id).length;
          for (const r of held) expect(times(r.id)).toBeLessThanOrEqual(kind === "runs" ? 2 : 1);
        }
        expect(seen.runs!.filter((r) => r.outcome === "success")).toHaveLength(2);
      }),
      // Bounded by count: a failure is reported as found, unshrunk (each run drives the real queue consumer). Not by
      // the clock: a 30 s interrupt "for the shrink" covered the 15 runs too, and failed them on a loaded box.
      { numRuns: 15, endOnFailure: true },
    );
  });
});

describe("history cursors across the change", () => {
  it("a browse cursor issued before follow cursors existed browses on, then hands over to a follower", async () => {
    const productId = "hf-legacy";
    await createProduct(productId);
    await deliver([msg("m", packed(productId, run(productId, 1, "j1", T), run(productId, 2, "j2", T + 1)))]);
    const old = encodeHistoryCursor({ k: "runs", at: T, id: `${productId}:j1:e1` } as never);
    const p = await page(productId, "runs", old);
    expect([p.items.map((r) => r.jobId), p.more]).toEqual([["j2"], false]);
    await deliver([msg("late", packed(productId, run(productId, 3, "j0", T - 1)))]);
    expect((await page(productId, "runs", p.nextCursor)).items.map((r) => r.jobId)).toEqual(["j0"]);
  });

  it("a follow cursor with part of a time key, or a time key of another kind, is a 400", async () => {
    const b64 = (v: unknown) => btoa(JSON.stringify(v)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    for (const bad of [
      { k: "runs", s: 1, t: { at: 1 } },
      { k: "runs", s: 1, t: { at: 1, seq: 1, part: 0 } },
      { k: "runs", s: -1 },
      { k: "runs", s: 1, w: 1 },
    ]) {
      const r = await api<{ code: string }>("GET", `${P("hf-legacy")}/history?kind=runs&cursor=${b64(bad)}`, {
        token: ADMIN,
      });
      expect([bad, r.status, r.body.code]).toEqual([bad, 400, "validation_failed"]);
    }
  });

  it("a browse is served by the time index and a follow by the ingest index, with no sort", async () => {
    const plan = async (order: string, where: string) => {
      const r = await env.DB.prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM audit_log WHERE product_id = ? AND at >= 0 AND ${where} ORDER BY ${order} LIMIT 51`,
      )
        .bind("hf-late")
        .all<{ detail: string }>();
      return r.results.map((x) => x.detail).join(" | ");
    };
    const browse = await plan("at, seq, part", "+ingest_seq <= 9 AND (at, seq, part) > (1, 2, 0)");
    const follow = await plan("ingest_seq, at, seq, part", "(ingest_seq, at, seq, part) > (9, 1, 2, 0)");
    expect(browse).toMatch(/USING INDEX audit_by_time_seq/);
    expect(follow).toMatch(/USING INDEX audit_by_ingest/);
    expect(`${browse} | ${follow}`).not.toMatch(/TEMP B-TREE/);
  });
});
