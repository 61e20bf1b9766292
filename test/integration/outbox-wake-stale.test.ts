// A unit that writes a record due at once while a delivery round is out (its feed call not yet answered) arms the
// alarm for the next second, not for the wake the last round left (a blocked job's retry, a minute on here; up to
// 128 s, or a refusing queue's 5 min): were the coordinator reset before that round came back (an eviction, a code
// update), or the round to throw, the alarm is the only wake-up left, and the new record waited for the old wake.
// And a round that sees it brings the wake back to what it knows. Time moves by setting state, never by waiting.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { OutboxShipper } from "../../src/durable-objects/coordinator/outbox/shipper.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import type { FeedAppend } from "../../src/durable-objects/job-feed.ts";

describe("the outbox's wake after a unit wrote a record due at once", () => {
  it("is the next second while the round that would ship it is out, and the blocker's retry again after it", async () => {
    const product = "wake-stale";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      const transact = <T>(fn: (t: Tx) => T): T =>
        state.storage.transactionSync(() => fn({ sql, productId: product, now: Date.now() }));
      const now = Date.now();
      // A blocked job: its one event waits for its 6th try, a minute on.
      transact((t) => {
        wantFeed(t, "job_blocked");
        enqueueEvent(t, "job_blocked", "log", { lines: ["refused"] });
      });
      sql.exec(
        "INSERT INTO outbox_retries(seq, attempts, next_at, last_error, job_id, failed_at) VALUES (1, 6, ?, 'full', 'job_blocked', ?)",
        now + 60_000,
        now - 1_000,
      );
      sql.exec("UPDATE outbox SET retrying = 1 WHERE seq = 1");
      // The feed call of the next round stays out until the test lets it go.
      let answer: (n: number) => void = () => {};
      const out = new Promise<number>((resolve) => {
        answer = resolve;
      });
      let calls = 0;
      const feed = {
        append: (_p: string, _j: string, _events: FeedAppend[]) => {
          calls++;
          return out;
        },
      };
      const feedEnv = { ...env, JOB_FEED: { getByName: () => feed } } as unknown as Env;
      const units = { sql, productId: product, transact } as unknown as Units;
      const shipper = new OutboxShipper(feedEnv, units, async () => {});
      await shipper.deliver(); // nothing due: the wake is the blocked job's retry
      const idle = (shipper.dueAt(now) ?? 0) - now;
      // A unit writes a watched job's event, and settles as runtime/composition does: a round, then the alarm.
      transact((t) => {
        wantFeed(t, "job_live");
        enqueueEvent(t, "job_live", "log", { lines: ["now"] });
      });
      shipper.soon();
      const inFlight = calls;
      const armed = (shipper.dueAt(now) ?? 0) - now;
      answer(1);
      await shipper.deliver(); // the round came back (and any it asked for ran)
      const after = (shipper.dueAt(now) ?? 0) - now;
      const left = sql.exec<{ seq: number }>("SELECT seq FROM outbox").toArray();
      return { idle, inFlight, armed, after, left };
    });
    expect(out.idle).toBe(60_000);
    expect(out.inFlight).toBe(1);
    expect(out.armed).toBe(1_000);
    expect(out).toMatchObject({ after: 60_000, left: [{ seq: 1 }] });
  });
});
