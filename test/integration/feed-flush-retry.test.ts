// A reader's flush (outbox/shipper `flushFeed`) ships every held event of its job, those waiting for a retry too: one
// event whose append failed once waited out its backoff (seconds to minutes) and held every later event of its job
// back with it (per-job order), so a REST read, a replay or an artifact commit in that time saw none of them while the
// read claimed the feed up to date. Shipped in order, each once, its retry row gone with it. And a flush whose feed
// fails mid-way (its second call of 1,000) says so and leaves the rest to the delivery loop, which ships it after
// what the flush delivered: in order, each event once.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { OutboxShipper } from "../../src/durable-objects/coordinator/outbox/shipper.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
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
      // The job's first held event failed once and waits a minute for its retry (outbox/retries scheduleRetry).
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

describe("a reader's flush whose feed fails mid-way", () => {
  it("says so, and the loop ships the rest after what it delivered: in order, each once", async () => {
    const product = "flush-mid-fail";
    const release = await holdAlarm(product);
    const job = await submit(product, { title: "chatty" });
    const HELD = 1_500;
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      const transact = <T>(fn: (tx: Tx) => T): T =>
        state.storage.transactionSync(() => fn({ sql, productId: product, now: Date.now() }));
      transact((tx) => {
        for (let n = 0; n < HELD; n++) enqueueEvent(tx, job.id, "log", { n });
        wantFeed(tx, job.id); // a reader opened it: every held event due at once
      });
      const units = { sql, productId: product, transact } as unknown as Units;
      // The job's feed takes the flush's first call of 1,000 and fails its second.
      let calls = 0;
      const failing = {
        ...env,
        JOB_FEED: {
          getByName: (name: string) => {
            const real = env.JOB_FEED.getByName(name);
            return {
              append: (...args: Parameters<typeof real.append>) =>
                ++calls === 2 ? Promise.reject(new Error("Durable Object reset")) : real.append(...args),
            };
          },
        },
      } as unknown as Env;
      const flushed = await new OutboxShipper(failing, units, async () => {}).flushFeed(job.id);
      const left = sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE kind = 'event'").one().n;
      await new OutboxShipper(env, units, async () => {}).deliver();
      const after = sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE kind = 'event'").one().n;
      return { flushed, calls, left, after };
    });
    expect(out).toEqual({ flushed: false, calls: 2, left: HELD + 1 - 1_000, after: 0 });
    const feed = env.JOB_FEED.getByName(feedName(product, job.id));
    const seen: Array<[number, number | undefined]> = [];
    for (let after = 0; ; ) {
      const page = (await feed.list(after, 500)) as unknown as Page;
      if (page.events.length === 0) break;
      for (const e of page.events) seen.push([e.seq, e.data.n]);
      after = page.events[page.events.length - 1]?.seq ?? after;
    }
    expect(seen).toEqual([[1, undefined], ...Array.from({ length: HELD }, (_, n) => [n + 2, n] as [number, number])]);
    await release();
  });
});
