// When our own side fails a bulk request part-way — the coordinator's storage, or the call to it, throws instead of
// answering — the client gets a 503 `unavailable` problem+json that says what to do (send the same request again
// with the same Idempotency-Key), never a 500; and the batch's record never leaves an item `queued` for ever whose
// message was never sent: until the route confirms its sends (`settleSends`, one write to the batch row), an item
// with no job reads rejected `unavailable` — read-side only, nothing written for it. Proven for a failure after part
// of the batch was queued (the queue refused one of its two sendBatch calls, then the call that records it failed:
// a 500, and the unsent item read `queued` for ever, the batch never `done`), and before anything was sent (checking
// keys, recording the batch), for `GET …/batches/{id}` and the tracker's ingest. A happy bulk request of N items
// writes N + 2 rows (the batch, its items, the confirmation), no UPDATE of its items; a batch recorded before the
// `sent_at` column counts as confirmed.
import { createExecutionContext, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { readBatch } from "../../src/durable-objects/coordinator/jobs/batch-read.ts";
import { applyBatchColumns } from "../../src/durable-objects/coordinator/jobs/batches.ts";
import { applySchema } from "../../src/durable-objects/coordinator/runtime/schema.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import worker from "../../src/worker/index.ts";
import type { DispatchMessage } from "../../src/worker/queues/messages.ts";
import { batchView, deliver, heldQueue } from "./batch-client.ts";
import { ADMIN, createProduct, P } from "./client.ts";

type Problem = { type: string; title: string; status: number; detail: string; code: string };

/**
 * An env whose coordinator throws (a storage failure, not an answer) on each call named in `failing`, and keeps the
 * batch id the route records and the names of the calls it made; every other call reaches the real coordinator.
 */
function failingCoordinator(base: Env, failing: readonly string[]) {
  const seen: { batchId?: string; calls: string[] } = { calls: [] };
  const COORDINATOR = {
    getByName: (name: string) => {
      const real = env.COORDINATOR.getByName(name);
      return new Proxy(real, {
        get(target, prop) {
          if (typeof prop === "string") seen.calls.push(prop);
          if (typeof prop === "string" && failing.includes(prop)) {
            return () => Promise.reject(new Error("SQLITE_IOERR: disk I/O error"));
          }
          if (prop === "recordBatch") {
            return (...args: Parameters<typeof real.recordBatch>) => {
              seen.batchId = args[1];
              return target.recordBatch(...args);
            };
          }
          return Reflect.get(target, prop);
        },
      });
    },
  };
  return { env: { ...base, COORDINATOR } as unknown as Env, seen };
}

/** A dispatch queue that keeps what it is sent, refusing the sendBatch calls numbered in `refused` (1-based). */
function queueRefusing(refused: readonly number[]) {
  const held: DispatchMessage[] = [];
  let calls = 0;
  const DISPATCH_QUEUE = {
    sendBatch: async (sent: Iterable<MessageSendRequest<DispatchMessage>>) => {
      if (refused.includes(++calls)) throw new Error("queue unavailable");
      for (const m of sent) held.push(m.body);
    },
  };
  return { held, env: { ...env, DISPATCH_QUEUE } as unknown as Env };
}

async function post(product: string, path: string, workerEnv: Env, body: unknown, key?: string) {
  const res = await worker.fetch(
    new Request(`http://gf.test${P(product)}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${ADMIN}`,
        "content-type": "application/json",
        ...(key ? { "idempotency-key": key } : {}),
      },
      body: JSON.stringify(body),
    }),
    workerEnv,
    createExecutionContext(),
  );
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: (await res.json()) as unknown };
}

/** Batch `id`'s rows as stored: its `sent_at`, and each item's status. */
const stored = (product: string, id: string) =>
  runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => ({
    sentAt: state.storage.sql.exec("SELECT sent_at FROM batches WHERE id = ?", id).one().sent_at,
    items: state.storage.sql
      .exec<{ status: string }>("SELECT status FROM batch_items WHERE batch_id = ? ORDER BY idx", id)
      .toArray()
      .map((r) => r.status),
  }));

// Three items of ~90 KB: one message each, two messages to the first sendBatch, one to the second.
const wide = ["p0", "p1", "p2"].map((t) => ({ markdown: `# ${t}\n${"漢".repeat(30_000)}` }));

describe("a bulk batch our side fails part-way", () => {
  it("answers 503 (resend with the same key), never reads the unsent item queued; the resend completes it", async () => {
    const product = "bulk-fail-settle";
    await createProduct(product);
    const queue = queueRefusing([2]);
    // Its name before settleSends too, so that the test runs (red) against the route without the fix.
    const down = failingCoordinator(queue.env, ["settleSends", "rejectBatchItems"]);
    const r = await post(product, "/jobs:batch", down.env, { items: wide }, "import-7");
    expect([r.status, r.type]).toEqual([503, "application/problem+json"]);
    expect(r.body).toMatchObject({ code: "unavailable", status: 503 });
    expect((r.body as Problem).detail).toContain("same Idempotency-Key");
    expect(queue.held).toHaveLength(2); // p0 and p1 were sent, p2 never was

    // Unconfirmed: no item is claimed queued, so nobody waits for p2 for ever — and nothing was written for it.
    const id = down.seen.batchId!;
    const before = await batchView(product, id);
    expect(before.items.map((i) => [i.status, i.code])).toEqual([
      ["rejected", "unavailable"],
      ["rejected", "unavailable"],
      ["rejected", "unavailable"],
    ]);
    expect(before.done).toBe(true);
    expect(await stored(product, id)).toEqual({ sentAt: null, items: ["queued", "queued", "queued"] });

    // The sent items' messages arrive: their jobs exist, and the record says so.
    expect(await deliver("gigafactory-dispatch", queue.held)).toEqual({ acked: 2, retried: 0 });
    const after = await batchView(product, id);
    expect(after.items.map((i) => [i.status, i.code])).toEqual([
      ["created", undefined],
      ["created", undefined],
      ["rejected", "unavailable"],
    ]);
    expect(after.done).toBe(true);

    // The resend the 503 asked for: the sent items answer with their jobs, the unsent one is queued once, and
    // this batch, confirmed, reads it queued.
    const eager = heldQueue();
    const again = await post(product, "/jobs:batch", eager.env, { items: wide }, "import-7");
    expect(again.status).toBe(202);
    const answer = again.body as { batchId: string; items: Array<{ status: string; jobId?: string }> };
    expect(answer.items.map((i) => i.status)).toEqual(["exists", "exists", "queued"]);
    expect(answer.items.map((i) => i.jobId).slice(0, 2)).toEqual(after.items.map((i) => i.jobId).slice(0, 2));
    const resent = await batchView(product, answer.batchId);
    expect(resent.items.map((i) => i.status)).toEqual(["existing", "existing", "queued"]);
    expect(resent.done).toBe(false);
    expect(await deliver("gigafactory-dispatch", eager.held)).toEqual({ acked: 1, retried: 0 });
    expect((await batchView(product, answer.batchId)).items.map((i) => i.status)).toEqual([
      "existing",
      "existing",
      "created",
    ]);
  });

  for (const failing of ["checkKeys", "recordBatch"]) {
    it(`answers 503 with nothing queued when ${failing} fails`, async () => {
      const product = `bulk-fail-${failing.toLowerCase()}`;
      await createProduct(product);
      const queue = queueRefusing([]);
      const down = failingCoordinator(queue.env, [failing]);
      const r = await post(product, "/jobs:batch", down.env, { items: [{ markdown: "# a" }] }, "import-8");
      expect([r.status, r.type]).toEqual([503, "application/problem+json"]);
      expect(r.body).toMatchObject({ code: "unavailable" });
      expect((r.body as Problem).detail).toContain("nothing of it was queued");
      expect(queue.held).toEqual([]);
    });
  }

  it("answers 503 for a batch read or a tracker ingest whose coordinator fails", async () => {
    const product = "bulk-fail-reads";
    await createProduct(product);
    const down = failingCoordinator(env, ["getBatch", "checkKeys"]);
    const read = await worker.fetch(
      new Request(`http://gf.test${P(product)}/batches/some-batch`, { headers: { authorization: `Bearer ${ADMIN}` } }),
      down.env,
      createExecutionContext(),
    );
    expect([read.status, read.headers.get("content-type")]).toEqual([503, "application/problem+json"]);
    expect(await read.json()).toMatchObject({ code: "unavailable" });
    const ingest = await post(product, "/tracker/ingest", down.env, {
      source: "github",
      externalId: "org/repo#9",
      title: "t",
      body: "b",
    });
    expect([ingest.status, ingest.type]).toEqual([503, "application/problem+json"]);
    expect(ingest.body).toMatchObject({ code: "unavailable" });
  });
});

describe("what confirming a batch costs", () => {
  it("writes N + 2 rows for a bulk request of N items: no per-item write beyond recording it", async () => {
    const product = "bulk-confirm-cost";
    await createProduct(product);
    const changes = () =>
      runInDurableObject(
        env.COORDINATOR.getByName(product),
        (_i, state) => state.storage.sql.exec("SELECT total_changes() AS n").one().n as number,
      );
    const queue = heldQueue();
    const calls = failingCoordinator(queue.env, []);
    const items = Array.from({ length: 50 }, (_, i) => ({ markdown: `# item ${i}` }));
    const first = await changes();
    const r = await post(product, "/jobs:batch", calls.env, { items });
    const wrote = (await changes()) - first;
    expect(r.status).toBe(202);
    // The batch row, its 50 item rows, and the one confirmation UPDATE of the batch row.
    expect(wrote).toBe(50 + 2);
    expect(calls.seen.calls.filter((c) => c === "settleSends")).toHaveLength(1);
    const id = (r.body as { batchId: string }).batchId;
    const now = await stored(product, id);
    expect(now.sentAt).toEqual(expect.any(Number));
    expect(new Set(now.items)).toEqual(new Set(["queued"]));
  });

  it("reads a batch recorded before the sent_at column as confirmed, the column added once by the schema upgrade", async () => {
    const product = "bulk-legacy-batch";
    await createProduct(product);
    // The table as a coordinator stored before `sent_at` has it (no batch call made on this object yet).
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      sql.exec(`DROP TABLE batches;
        CREATE TABLE batches (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, total INTEGER NOT NULL)`);
      sql.exec("INSERT INTO batches(id, created_at, total) VALUES ('b-old', 1, 1)");
      sql.exec(
        `INSERT INTO batch_items(batch_id, idx, created_at, key, hash, status)
         VALUES ('b-old', 0, 1, 'old-0', ?, 'queued')`,
        "e".repeat(64),
      );
      // What the coordinator's start does (runtime/schema applySchema) on storage an older commit left.
      applySchema(sql);
    });
    // Read through the route.
    const old = await batchView(product, "b-old");
    expect(old.items).toEqual([{ index: 0, key: "old-0", status: "queued" }]);
    expect(old.done).toBe(false);
    const again = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      applyBatchColumns(state.storage.sql); // idempotent: a second ALTER would throw "duplicate column"
      const tx: Tx = { sql: state.storage.sql, productId: product, now: Date.now() };
      return readBatch(tx, "b-old").items;
    });
    expect(again).toEqual(old.items);
  });
});
