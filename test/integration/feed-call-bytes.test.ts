// A job's feed events go to its JobFeed in calls of at most 8 MiB of JSON each (outbox/feed-append FEED_CALL_BYTES),
// not 1,000 a call whatever their size: 1,000 events of 32 KiB came to ~32 MiB, the Workers RPC limit's edge. A
// reader's flush and a delivery round each split a large backlog into several calls, in order, every event once; a
// round whose second call fails keeps what the first delivered (acknowledged, not retried) and retries the rest,
// which a reader's flush then ships after it — in order, each once. Real storage in workerd; the feed's calls are
// counted and measured on their way to the real JobFeed.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { jsonBytes } from "../../src/core/bytes.ts";
import { FEED_CALL_BYTES } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { OutboxShipper } from "../../src/durable-objects/coordinator/outbox/shipper.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { submit } from "./client.ts";
import { holdAlarm } from "./state.ts";

/** 300 events of ~31 KB each: ~9.3 MB, over one call's 8 MiB, far under the 1,000 events a call may carry. */
const HELD = 300;
const TEXT = "x".repeat(31_000);

type Page = { events: Array<{ seq: number; data: { n?: number } }> };

/**
 * `jobId`'s HELD large events written to `product`'s outbox and wanted by a reader, then `ship` run on a shipper
 * whose feed calls are measured (`failCall`: the number of the call that fails, once); what each call carried.
 */
async function shipMeasured<T>(
  product: string,
  jobId: string,
  ship: (shipper: OutboxShipper, units: Units, sql: SqlStorage) => Promise<T>,
  failCall?: number,
) {
  return runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
    const sql = state.storage.sql;
    const transact = <T>(fn: (tx: Tx) => T): T =>
      state.storage.transactionSync(() => fn({ sql, productId: product, now: Date.now() }));
    transact((tx) => {
      for (let n = 0; n < HELD; n++) enqueueEvent(tx, jobId, "log", { n, text: TEXT });
      wantFeed(tx, jobId); // a reader opened it: every held event due at once
    });
    const units = { sql, productId: product, transact } as unknown as Units;
    const calls: Array<{ events: number; bytes: number }> = [];
    const measured = {
      ...env,
      JOB_FEED: {
        getByName: (name: string) => {
          const real = env.JOB_FEED.getByName(name);
          return {
            append: (...args: Parameters<typeof real.append>) => {
              calls.push({ events: args[2].length, bytes: jsonBytes(args[2]) });
              if (calls.length === failCall) return Promise.reject(new Error("Durable Object reset"));
              return real.append(...args);
            },
          };
        },
      },
    } as unknown as Env;
    const result = await ship(new OutboxShipper(measured, units, async () => {}), units, sql);
    return { result, calls };
  }) as Promise<{ result: T; calls: Array<{ events: number; bytes: number }> }>;
}

/** The `n` of every event in `product`/`jobId`'s feed after its first (job.submitted), in feed order. */
async function feedNs(product: string, jobId: string): Promise<Array<number | undefined>> {
  const feed = env.JOB_FEED.getByName(feedName(product, jobId));
  const seen: Array<number | undefined> = [];
  for (let after = 0; ; ) {
    const page = (await feed.list(after, 100)) as unknown as Page;
    if (page.events.length === 0) return seen.slice(1);
    seen.push(...page.events.map((e) => e.data.n));
    after = page.events[page.events.length - 1]?.seq ?? after;
  }
}

const ALL = Array.from({ length: HELD }, (_, n) => n);

describe("a job's feed calls", () => {
  it("a reader's flush of ~9 MB of events sends several calls of at most 8 MiB, in order, each event once", async () => {
    const product = "feed-call-bytes-flush";
    const release = await holdAlarm(product);
    const job = await submit(product, { title: "chatty" });
    const { result, calls } = await shipMeasured(product, job.id, (s) => s.flushFeed(job.id));
    expect(result).toBe(true);
    expect(calls.length).toBeGreaterThan(1);
    for (const c of calls) expect(c.bytes).toBeLessThanOrEqual(FEED_CALL_BYTES);
    expect(calls.reduce((n, c) => n + c.events, 0)).toBe(HELD + 1); // job.submitted, held with them
    expect(await feedNs(product, job.id)).toEqual(ALL);
    await release();
  });

  it("a delivery round does the same", async () => {
    const product = "feed-call-bytes-round";
    const release = await holdAlarm(product);
    const job = await submit(product, { title: "chatty" });
    const { calls } = await shipMeasured(product, job.id, (s) => s.deliver());
    expect(calls.length).toBeGreaterThan(1);
    for (const c of calls) expect(c.bytes).toBeLessThanOrEqual(FEED_CALL_BYTES);
    expect(await feedNs(product, job.id)).toEqual(ALL);
    await release();
  });

  it("a round whose second call fails keeps the first's events delivered and retries the rest, which go after", async () => {
    const product = "feed-call-bytes-fail";
    const release = await holdAlarm(product);
    const job = await submit(product, { title: "chatty" });
    const { calls, result } = await shipMeasured(
      product,
      job.id,
      async (s, _units, sql) => {
        await s.deliver();
        const count = (q: string) => sql.exec<{ n: number }>(q, job.id).one().n;
        const left = {
          events: count("SELECT count(*) AS n FROM outbox WHERE kind = 'event' AND job_id = ?"),
          retries: count("SELECT count(*) AS n FROM outbox_retries WHERE job_id = ?"),
          orphans: count(
            "SELECT count(*) AS n FROM outbox_retries r WHERE r.job_id = ? AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.seq = r.seq)",
          ),
        };
        return { left, flushed: await s.flushFeed(job.id) };
      },
      2,
    );
    const first = calls[0]?.events ?? 0;
    expect(first).toBeGreaterThan(0);
    // What the first call took is acknowledged; the failed call's events and the later ones wait for a retry.
    expect(result.left).toEqual({ events: HELD + 1 - first, retries: HELD + 1 - first, orphans: 0 });
    expect(result.flushed).toBe(true);
    expect(await feedNs(product, job.id)).toEqual(ALL);
    await release();
  });
});
