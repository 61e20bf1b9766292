// Reading a bulk batch back (GET …/batches/{batchId}, coordinator/jobs/batch-read) costs the batch's own rows, not a
// lookup per item: a client polls it, and a 10,000-item batch still queued was 20,000 statements per poll (each
// unsettled item's key looked up in the key rows, then in the jobs column: about 1 s in the local runtime). Counted,
// not timed: a poll that finds nothing new is 2 statements reading the batch row and its 10,000 item rows once; a
// poll that finds 100 new jobs adds one UPDATE that writes exactly those 100 rows, and the next poll writes nothing.
// Its answers are those of the per-item lookup (jobs/idempotency `findKey`, reproduced here as the reference) on
// items in every state — queued, rejected `unavailable` or for good, created — whose keys a job holds for
// the same request (a row written here, or by a real submit), for another, or not at all.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { readBatch } from "../../src/durable-objects/coordinator/jobs/batch-read.ts";
import { recordBatch } from "../../src/durable-objects/coordinator/jobs/batches.ts";
import { findKey } from "../../src/durable-objects/coordinator/jobs/idempotency.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { BatchItemRecord, BatchItemView } from "../../src/shared/api-batches.ts";
import { createProduct, submit } from "./client.ts";
import { countingSql as countingStatements } from "./counting-sql.ts";
import { countingSql } from "./sql-counting.ts";

const ITEMS = 10_000;
const HASH = "a".repeat(64);

/** readBatch through a handle that counts its statements and the rows they read; rows written by SQLite's count. */
function countedRead(sql: SqlStorage, product: string, id: string) {
  const rows = countingSql(sql);
  const count = { reads: 0 };
  const written = sql.exec("SELECT total_changes() AS n").one().n as number;
  const tx: Tx = { sql: countingStatements(rows.sql, count), productId: product, now: Date.now() };
  const view = readBatch(tx, id);
  const wrote = (sql.exec("SELECT total_changes() AS n").one().n as number) - written;
  return { view, statements: count.reads, rowsRead: rows.rowsRead(), rowsWritten: wrote };
}

describe("reading a 10,000-item batch", () => {
  it("costs its own rows once per poll, and writes back only the items that changed", async () => {
    const product = "batch-read-cost";
    await createProduct(product);
    // Jobs with keys of their own: a join that scanned the jobs table per item would read 3 rows more per item.
    for (const k of [1, 2, 3]) await submit(product, { title: `keyed ${k}`, idempotencyKey: `elsewhere-${k}` });
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      const tx: Tx = { sql, productId: product, now: Date.now() };
      const items: BatchItemRecord[] = Array.from({ length: ITEMS }, (_, index) => ({
        index,
        key: `cost-${index}`,
        hash: HASH,
        status: "queued",
      }));
      recordBatch(tx, "b-cost", items);
      const idle = countedRead(sql, product, "b-cost");
      // 100 of its jobs made since (their key rows, as jobs/submit writes them): 99 for the item's own request.
      for (let i = 0; i < 100; i++) {
        sql.exec(
          "INSERT INTO idempotency_keys(key, request_hash, job_id, created_at) VALUES (?, ?, ?, ?)",
          `cost-${i * 7}`,
          i === 0 ? "b".repeat(64) : HASH,
          `job_cost_${i}`,
          tx.now,
        );
      }
      const changed = countedRead(sql, product, "b-cost");
      const after = countedRead(sql, product, "b-cost");
      return { idle, changed, after };
    });
    expect(out.idle.view).toMatchObject({ total: ITEMS, queued: ITEMS, created: 0, done: false });
    expect([out.idle.statements, out.idle.rowsRead, out.idle.rowsWritten]).toEqual([2, ITEMS + 1, 0]);

    expect(out.changed.view).toMatchObject({ queued: ITEMS - 100, created: 99, rejected: 1 });
    expect(out.changed.view.items[0]).toEqual({ index: 0, key: "cost-0", status: "rejected", code: "conflict" });
    expect(out.changed.view.items[7]).toEqual({ index: 7, key: "cost-7", status: "created", jobId: "job_cost_1" });
    expect(out.changed.statements).toBe(3);
    expect(out.changed.rowsWritten).toBe(100);

    expect(out.after.view).toEqual(out.changed.view);
    expect([out.after.statements, out.after.rowsWritten]).toEqual([2, 0]);
    expect(out.after.rowsRead).toBe(ITEMS + 1);
  });
});

/** The per-item rule the read keeps (its answers before it was one query): each unsettled item's key, looked up. */
function reference(sql: SqlStorage, id: string): BatchItemView[] {
  const rows = sql
    .exec<{
      idx: number;
      key: string | null;
      hash: string | null;
      status: string;
      job_id: string | null;
      code: string | null;
    }>("SELECT idx, key, hash, status, job_id, code FROM batch_items WHERE batch_id = ? ORDER BY idx", id)
    .toArray();
  return rows.map((r) => {
    let { status, job_id: jobId, code } = r;
    const unsettled =
      r.key !== null && (r.status === "queued" || (r.status === "rejected" && r.code === "unavailable"));
    const seen = unsettled && r.key !== null ? findKey(sql, r.key) : undefined;
    if (seen)
      [status, jobId, code] =
        seen.requestHash === r.hash ? ["created", seen.jobId, null] : ["rejected", null, "conflict"];
    return {
      index: r.idx,
      ...(r.key !== null ? { key: r.key } : {}),
      status: status as BatchItemView["status"],
      ...(jobId !== null ? { jobId } : {}),
      ...(code !== null ? { code } : {}),
    };
  });
}

describe("a batch read in one query", () => {
  it("answers as the per-item key lookup does, for items in every state and keys held every way", async () => {
    const product = "batch-read-same";
    // Two real jobs, their keys held as jobs/submit holds them (the hash row with the jobs column).
    const madeSame = await submit(product, { title: "made same", idempotencyKey: "made-same" });
    const madeOther = await submit(product, { title: "made other", idempotencyKey: "made-other" });
    const answers = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      const madeHash = findKey(sql, "made-same")!.requestHash;
      const held = (key: string, hash: string, job: string) =>
        sql.exec(
          "INSERT INTO idempotency_keys(key, request_hash, job_id, created_at) VALUES (?, ?, ?, ?)",
          key,
          hash,
          job,
          Date.now(),
        );
      held("same", HASH, "job_same");
      held("other", "c".repeat(64), "job_other");
      const keys = ["same", "other", "made-same", "made-other", "nobody"];
      const states: Array<Pick<BatchItemRecord, "status" | "code" | "jobId">> = [
        { status: "queued" },
        { status: "rejected", code: "unavailable" },
        { status: "rejected", code: "invalid_manifest" },
        { status: "exists", jobId: "job_earlier" },
      ];
      const items: BatchItemRecord[] = [{ index: 0, status: "rejected", code: "invalid_manifest" }];
      for (const key of keys) {
        for (const s of states) {
          const hash = key === "made-same" ? madeHash : HASH;
          items.push({ index: items.length, key, hash, ...s });
        }
      }
      items.push({ index: items.length, key: "same", status: "queued" }); // no hash: never the same request
      const tx: Tx = { sql, productId: product, now: Date.now() };
      recordBatch(tx, "b-same", items);
      const expected = reference(sql, "b-same");
      const first = readBatch(tx, "b-same").items;
      const second = readBatch(tx, "b-same").items;
      return { expected, first, second, made: [madeSame.id, madeOther.id] };
    });
    // `repeatOf` (items naming one job) is the read's own addition, proved in batch-repeats: not the lookup's to give.
    const lookupFields = (items: BatchItemView[]) => items.map(({ repeatOf: _r, ...i }) => i);
    expect(lookupFields(answers.first)).toEqual(answers.expected);
    expect(lookupFields(answers.second)).toEqual(answers.expected);
    expect(answers.first.find((i) => i.index === 2)?.repeatOf).toBe(1); // both items hold job_same
    const of = (i: number) => answers.first[i]!;
    // Spot checks of the reference itself: a queued item per key, a settled one untouched.
    expect([1, 5, 9, 13, 17].map((i) => [of(i).status, of(i).jobId ?? of(i).code])).toEqual([
      ["created", "job_same"],
      ["rejected", "conflict"],
      ["created", answers.made[0]],
      ["rejected", "conflict"],
      ["queued", undefined],
    ]);
    expect(of(2)).toMatchObject({ status: "created", jobId: "job_same" }); // `unavailable`, its job made after all
    expect(of(18)).toMatchObject({ status: "rejected", code: "unavailable" }); // no job: resend it
    expect(of(3)).toMatchObject({ status: "rejected", code: "invalid_manifest" });
    expect(of(21)).toMatchObject({ status: "rejected", code: "conflict" });
  });
});
