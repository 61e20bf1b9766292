// A reader's flush (outbox/shipper `flushFeed`) ships every held event of its job, those waiting for a retry too: one
// event whose append failed once waited out its backoff (seconds to minutes) and held every later event of its job
// back with it (per-job order), so a REST read, a replay or an artifact commit in that time saw none of them while the
// read claimed the feed up to date. Shipped in order, each once, its retry row gone with it.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import { ADMIN, api, P, submit } from "./client.ts";
import { holdAlarm } from "./state.ts";

type Page = { events: Array<{ seq: number; type: string; data: { n?: number } }>; lastSeq: number };

describe("a reader's flush of a job with an event waiting for its retry", () => {
  it("ships it and every later event now, in order, each once", async () => {
    const product = "flush-retry";
    const release = await holdAlarm(product); // no delivery round ships them meanwhile: the read's flush must
    const job = await submit(product, { title: "retried" });
    const retries = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      state.storage.transactionSync(() => {
        const tx: Tx = { sql, productId: product, now: Date.now() };
        for (let n = 0; n < 3; n++) enqueueEvent(tx, job.id, "log", { n });
      });
      // The job's first held event failed once and waits a minute for its retry (outbox/dead-letters scheduleRetry).
      const first = sql
        .exec<{ seq: number }>(
          "SELECT seq FROM outbox WHERE kind = 'event' AND job_id = ? ORDER BY seq LIMIT 1",
          job.id,
        )
        .one();
      sql.exec(
        `INSERT INTO outbox_retries(seq, attempts, next_at, last_error, job_id, failed_at) VALUES (?, 1, ?, 'boom', ?, ?)`,
        first.seq,
        Date.now() + 60_000,
        job.id,
        Date.now(),
      );
      return sql.exec("SELECT count(*) AS n FROM outbox_retries WHERE job_id = ?", job.id).one().n;
    });
    expect(retries).toBe(1);
    const read = await api<Page>("GET", `${P(product)}/jobs/${job.id}/events`, { token: ADMIN });
    expect(read.status).toBe(200);
    expect(read.body.events.map((e) => [e.seq, e.type, e.data.n])).toEqual([
      [1, "job.submitted", undefined],
      [2, "log", 0],
      [3, "log", 1],
      [4, "log", 2],
    ]);
    expect(read.body.lastSeq).toBe(4);
    const left = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => ({
      events: state.storage.sql.exec("SELECT count(*) AS n FROM outbox WHERE job_id = ?", job.id).one().n,
      retries: state.storage.sql.exec("SELECT count(*) AS n FROM outbox_retries WHERE job_id = ?", job.id).one().n,
    }));
    expect(left).toEqual({ events: 0, retries: 0 });
    // Read again: nothing appended twice.
    const again = await api<Page>("GET", `${P(product)}/jobs/${job.id}/events`, { token: ADMIN });
    expect(again.body.lastSeq).toBe(4);
    await release();
  });
});
