// The history consumer's last delivery of a message D1 refused makes a bounded number of D1 calls, however many
// records the message holds: the records D1 still refuses are isolated by halving (worker/queues/history-isolate),
// every other record lands once, and what the budget of calls leaves unisolated is kept whole as a dead letter —
// nothing lost. It had written the message a record at a time: 600 records, 600 D1 calls in one invocation (D1
// allows 1,000 queries per invocation, and a batch holds up to 100 messages). And a message's records that can never
// be written are kept as one dead letter past POISON_LETTERS_PER_MESSAGE, not one each.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { HistoryMessage, HistoryRecord } from "../../src/history/write.ts";
import worker from "../../src/worker/index.ts";
import { LAST_TRY } from "../../src/worker/queues/history.ts";
import { LAST_TRY_D1_CALLS } from "../../src/worker/queues/history-isolate.ts";

/** D1 calls the batch's own writes, its dead letters and its products' upsert may add to the last tries' budget. */
const OTHER_CALLS = 12;

const snapshot = (productId: string, seq: number): HistoryRecord => ({
  productId,
  seq,
  kind: "snapshot",
  body: { jobId: "job_bounds", rev: seq, stage: "queued", title: "t", priority: "low", attempt: 0, at: seq, doc: {} },
});
const audit = (productId: string, seq: number): HistoryRecord => ({
  productId,
  seq,
  kind: "audit",
  body: { at: seq, actor: "op", action: "refused", target: "t" },
});

/** `env` whose D1 counts the calls made to it (a batch or an exec each). */
function counted(): { env: Env; calls: () => number } {
  let n = 0;
  const db = new Proxy(env.DB, {
    get(target, key) {
      const v = Reflect.get(target, key, target) as unknown;
      if (typeof v !== "function") return v;
      if (key === "batch" || key === "exec") {
        return (...args: unknown[]) => {
          n++;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return { env: { ...env, DB: db } as Env, calls: () => n };
}

/** Runs one batch of last-delivery messages while D1 refuses every audit entry (its table renamed away). */
async function lastDelivery(messages: Array<{ id: string; records: HistoryRecord[] }>) {
  const { env: e, calls } = counted();
  const batch = createMessageBatch<HistoryMessage>(
    "gigafactory-history",
    messages.map(({ id, records }) => ({
      id,
      timestamp: new Date(),
      attempts: LAST_TRY,
      body: { kind: "history", productId: records[0]?.productId ?? "", records },
    })),
  );
  const ctx = createExecutionContext();
  await env.DB.exec("ALTER TABLE audit_log RENAME TO audit_log_away");
  try {
    await worker.queue(batch as MessageBatch, e, ctx);
  } finally {
    await env.DB.exec("ALTER TABLE audit_log_away RENAME TO audit_log");
  }
  return { result: await getQueueResult(batch, ctx), calls: calls() };
}

/** The seqs of the snapshots that landed (each snapshot here has `rev` = its seq). */
async function snapshotSeqs(productId: string): Promise<number[]> {
  const r = await env.DB.prepare("SELECT rev AS seq FROM job_snapshots WHERE product_id = ? ORDER BY rev")
    .bind(productId)
    .all<{ seq: number }>();
  return r.results.map((x) => x.seq);
}

async function letters(productId: string) {
  const r = await env.DB.prepare("SELECT id, reason, body FROM dead_letters WHERE product_id = ? ORDER BY id")
    .bind(productId)
    .all<{ id: string; reason: string; body: string }>();
  return r.results;
}

describe("the history consumer's last delivery of a large refused message", () => {
  it("isolates the one record D1 refuses in a bounded number of calls; the other 600 land", async () => {
    const p = "hlt-one-poison";
    const records = Array.from({ length: 601 }, (_, i) => (i === 300 ? audit(p, i + 1) : snapshot(p, i + 1)));
    const { result, calls } = await lastDelivery([{ id: "big", records }]);
    expect(result.explicitAcks).toEqual(["big"]);
    expect(calls).toBeLessThanOrEqual(LAST_TRY_D1_CALLS + OTHER_CALLS);
    expect((await snapshotSeqs(p)).length).toBe(600);
    const kept = await letters(p);
    expect(kept.map((d) => d.id)).toEqual(["big:300"]);
    expect(kept[0]?.reason).toMatch(/^D1 refused history record 300 on all 5 deliveries; the last: .*audit_log/);
  });

  it("keeps what its budget could not isolate as whole groups: every record landed or kept, none both", async () => {
    const p = "hlt-many-poisons";
    // Every tenth record refused: isolating all 60 would take hundreds of calls.
    const records = Array.from({ length: 600 }, (_, i) => (i % 10 === 0 ? audit(p, i + 1) : snapshot(p, i + 1)));
    const { result, calls } = await lastDelivery([{ id: "many", records }]);
    expect(result.explicitAcks).toEqual(["many"]);
    expect(calls).toBeLessThanOrEqual(LAST_TRY_D1_CALLS + OTHER_CALLS);
    const landed = await snapshotSeqs(p);
    const kept = (await letters(p)).flatMap((d) => {
      const body = JSON.parse(d.body) as HistoryRecord | HistoryMessage;
      return "records" in body ? body.records.map((r) => r.seq) : [body.seq];
    });
    expect(landed.length).toBeGreaterThan(0);
    expect(landed.filter((s) => kept.includes(s))).toEqual([]); // none both written and kept
    expect([...landed, ...kept].sort((a, b) => a - b)).toEqual(records.map((r) => r.seq)); // none lost
  });

  it("keeps each message whole when D1 takes nothing, within the same bound however many messages", async () => {
    const p = "hlt-all-refused";
    const messages = Array.from({ length: 5 }, (_, m) => ({
      id: `down-${m}`,
      records: Array.from({ length: 200 }, (_, i) => audit(p, m * 1000 + i + 1)),
    }));
    const { result, calls } = await lastDelivery(messages);
    expect(result.explicitAcks.sort()).toEqual(messages.map((m) => m.id));
    expect(calls).toBeLessThanOrEqual(LAST_TRY_D1_CALLS + OTHER_CALLS * messages.length);
    expect((await letters(p)).map((d) => d.id)).toEqual(messages.map((m) => m.id));
  });
});

// A message's records that can never be written (malformed, or of another product) were each a dead letter: one
// 100 KB message of tiny malformed records made thousands. Past POISON_LETTERS_PER_MESSAGE they are kept as one.
describe("a history message with many records that can never be written", () => {
  it("keeps them as one dead letter holding them all; its good records land", async () => {
    const p = "hlt-poison-group";
    const bad = Array.from({ length: 500 }, (_, i) => ({ productId: p, seq: i + 1, kind: "audit", body: {} }));
    const good = snapshot(p, 1000);
    const batch = createMessageBatch<HistoryMessage>("gigafactory-history", [
      {
        id: "junk",
        timestamp: new Date(),
        attempts: 1,
        body: { kind: "history", productId: p, records: [...bad, good] },
      },
    ] as never);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.ackAll || result.explicitAcks.includes("junk")).toBe(true);
    expect(await snapshotSeqs(p)).toEqual([1000]);
    const kept = await letters(p);
    expect(kept.map((d) => d.id)).toEqual(["junk:poison"]);
    expect(kept[0]?.reason).toMatch(/^500 of this message's 501 history records can never be written/);
    expect((JSON.parse(kept[0]?.body ?? "{}") as { records: unknown[] }).records).toEqual(bad);
  });
});
