// The coordinator ships its outbox in one delivery loop at a time: the alarm or the cron sweep asking for a delivery
// while a unit's own background delivery is under way joins that loop (which goes round once more) instead of
// racing it, so each record — a webhook delivery among them — is sent to its queue exactly once. (Found end to end:
// a `stuck` alert raised by the sweep reached the webhook receiver twice.) Under load, loops start at most every
// MIN_ROUND_GAP_MS, except for an event of a watched feed. New feeds open one per round, the shipper waking itself
// for the next at the feed budget's pace. While the coordinator is loaded, D1 history waits (core/history-hold) and
// webhooks do not.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BUSY_HOLD_MS, type FeedBudget } from "../../src/core/feed-budget.ts";
import { HISTORY_HOLD_MIN_UNITS, HISTORY_HOLD_MS } from "../../src/core/history-hold.ts";
import { DUE_HISTORY_SQL, HELD_HISTORY_SQL } from "../../src/durable-objects/coordinator/outbox/due-rows.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { closeGroup, openGroup } from "../../src/durable-objects/coordinator/outbox/history-groups.ts";
import {
  enqueue,
  enqueueAudit,
  enqueueEvent,
  type LessonBody,
} from "../../src/durable-objects/coordinator/outbox/records.ts";
import { OutboxShipper } from "../../src/durable-objects/coordinator/outbox/shipper.ts";
import { setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { withLimit } from "../../src/durable-objects/sql-statements.ts";
import type { HistoryMessage } from "../../src/history/write.ts";
import type { WebhookMessage } from "../../src/worker/queues/webhooks.ts";
import { queryPlan, StoppedClockBudget } from "./state";

/** A shipper over this coordinator's own SQLite, bound to `product`, with `queues` standing in for the real ones. */
function shipperIn(state: DurableObjectState, product: string, queues: Record<string, unknown>) {
  const sql = state.storage.sql;
  setMeta(sql, "product_id", product);
  const tx = (): Tx => ({ sql, productId: product, now: Date.now() });
  // As runtime/units runs a unit: its history records gathered into one group, written just before the commit.
  const transact = <T>(fn: (t: Tx) => T): T =>
    state.storage.transactionSync(() => {
      openGroup(sql);
      let ok = false;
      try {
        const value = fn(tx());
        ok = true;
        return value;
      } finally {
        closeGroup(sql, ok);
      }
    });
  const units = { sql, productId: product, transact } as unknown as Units;
  const shipper = new OutboxShipper({ ...env, ...queues } as unknown as Env, units, async () => {});
  return { sql, transact, shipper };
}

describe("outbox shipper", () => {
  it("a delivery asked for while one runs joins it: every record is sent once", async () => {
    const product = "outbox-one-loop";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      // Queues that only count what they are handed: what the test checks is how often each record was sent.
      const sent: string[] = [];
      const queues = {
        HISTORY_QUEUE: {
          send: async (m: HistoryMessage) => {
            sent.push(...m.records.map((r) => `audit ${String(r.body.action)}`));
          },
        },
        WEBHOOK_QUEUE: {
          send: async (m: WebhookMessage) => {
            sent.push(`webhook ${m.body.deliveryId}`);
          },
        },
      };
      const { sql, transact, shipper } = shipperIn(state, product, queues);
      transact((t) => {
        enqueueAudit(t, "op", "thing.done", "job_1");
        const hook = { deliveryId: "dlv_one", productId: product, type: "alert.opened", at: t.now };
        t.sql.exec("INSERT INTO outbox(kind, body) VALUES ('webhook', ?)", JSON.stringify(hook));
      });
      // A unit's commit starts a background delivery; the alarm (or the sweep) then asks for one and waits for it.
      shipper.soon();
      const settled = await shipper.deliver();
      const left = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
      return { sent, settled, left };
    });
    expect(out.sent.sort()).toEqual(["audit thing.done", "webhook dlv_one"]);
    expect(out.settled).toBe(2);
    expect(out.left).toBe(0);
  });

  it("a delivery asked for after the loop ended runs a loop of its own", async () => {
    const product = "outbox-next-loop";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sent: string[] = [];
      const history = {
        send: async (m: HistoryMessage) => {
          sent.push(...m.records.map((r) => String(r.body.action)));
        },
      };
      const { transact, shipper } = shipperIn(state, product, { HISTORY_QUEUE: history });
      transact((t) => enqueueAudit(t, "op", "first", "job_1"));
      const first = await shipper.deliver();
      transact((t) => enqueueAudit(t, "op", "second", "job_1"));
      const second = await shipper.deliver();
      return { sent, first, second };
    });
    expect(out).toEqual({ sent: ["first", "second"], first: 1, second: 1 });
  });

  it("under load a unit's delivery waits for the coalescing gap, but an event of a watched feed goes at once", async () => {
    const product = "outbox-gap";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const history = { send: async () => {} };
      const { transact, shipper } = shipperIn(state, product, { HISTORY_QUEUE: history });
      // The shipper's own state, read as this test's probe: a loop running, or one waiting for the gap.
      const probe = shipper as unknown as { delivering: Promise<number> | null; timer: unknown };
      transact((t) => enqueueAudit(t, "op", "first", "job_1"));
      shipper.soon(); // an idle outbox ships at once
      const first = probe.delivering !== null;
      await shipper.deliver();
      transact((t) => enqueueAudit(t, "op", "second", "job_1"));
      shipper.soon(); // within the gap of the last loop (workerd's clock has not moved): waits
      const waited = probe.delivering === null && probe.timer !== null;
      transact((t) => {
        wantFeed(t, "job_w"); // a reader opened job_w's feed
        enqueueEvent(t, "job_w", "log", { text: "watched" });
      });
      shipper.soon(); // its watchers wait: no gap
      const urgent = probe.delivering !== null;
      await shipper.deliver();
      return { first, waited, urgent };
    });
    expect(out).toEqual({ first: true, waited: true, urgent: true });
  });
  it("opens new feeds one per round and wakes itself for the next, not a second later by the alarm", async () => {
    // core/feed-budget NEW_FEED_BURST 1 (issue 12, fifth pass): each new feed stalls the runtime's thread ~10 ms, so
    // a round opens one; the shipper's own timer brings the next round at the budget's pace (25 a second).
    const product = "outbox-feed-pace";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const { sql, transact, shipper } = shipperIn(state, product, { HISTORY_QUEUE: { send: async () => {} } });
      // The first round's clock stands still: on a loaded machine its feed call alone could outlast the budget's
      // 40 ms refill, and the same loop would then open the next feed — as it should, but not what this tests.
      const budget = new StoppedClockBudget();
      (shipper as unknown as { feeds: FeedBudget }).feeds = budget;
      transact((t) => {
        for (const job of ["job_p1", "job_p2", "job_p3"]) enqueueEvent(t, job, "log", { text: job });
      });
      sql.exec("UPDATE outbox SET at = 1 WHERE kind = 'event'"); // past the feed hold: ripe
      const events = () => sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'event'").one().n;
      budget.stoppedAt = Date.now();
      await shipper.deliver();
      budget.stoppedAt = undefined;
      const afterFirst = events();
      const probe = shipper as unknown as { timer: unknown };
      const woke = probe.timer !== null; // the next round is the shipper's own timer, under the alarm's second
      for (let i = 0; i < 200 && events() > 0; i++) await new Promise((r) => setTimeout(r, 10));
      return { afterFirst, woke, left: events() };
    });
    expect(out).toEqual({ afterFirst: 2, woke: true, left: 0 });
  });

  it("while loaded, history of the last minute waits and webhooks, lessons, watched feeds do not; it goes when the load ends", async () => {
    const product = "outbox-history-hold";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sent: string[] = [];
      const queues = {
        HISTORY_QUEUE: {
          send: async (m: HistoryMessage) =>
            void sent.push(...m.records.map((r) => `${r.kind} ${r.body.action ?? r.body.id}`)),
        },
        WEBHOOK_QUEUE: { send: async (m: WebhookMessage) => void sent.push(`webhook ${m.body.deliveryId}`) },
      };
      const { sql, transact, shipper } = shipperIn(state, product, queues);
      shipper.loaded(); // a dispatch pass left runnable work waiting for a seat…
      for (let i = 0; i < HISTORY_HOLD_MIN_UNITS; i++) shipper.noteUnit(); // …and units come fast: the thread is busy
      const now = Date.now();
      // Each its own unit, through the history groups as every unit writes them (runtime/units `grouped`).
      transact((t) => {
        enqueueAudit(t, "op", "fresh-1", "job_1");
        enqueueAudit(t, "op", "fresh-2", "job_1");
      });
      transact((t) => enqueueAudit({ ...t, now: now - HISTORY_HOLD_MS - 1 }, "op", "old", "job_1")); // a minute ago
      transact((t) => enqueue(t, { kind: "lesson", body: { id: "les_hold" } as unknown as LessonBody }));
      transact((t) => {
        const hook = { deliveryId: "dlv_hold", productId: product, type: "alert.opened", at: t.now };
        t.sql.exec("INSERT INTO outbox(kind, body) VALUES ('webhook', ?)", JSON.stringify(hook));
        wantFeed(t, "job_watched");
        enqueueEvent(t, "job_watched", "log", { text: "its reader waits" });
        enqueueEvent(t, "job_1", "log", { text: "held by the feed hold, due in 5 s" });
      });
      const group = sql.exec<{ at: number }>("SELECT at FROM outbox WHERE kind = 'history'").toArray();
      await shipper.deliver();
      const whileLoaded = [...sent].sort();
      const watched = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE job_id = 'job_watched'").one().n;
      // No unit announces the load's end: the shipper wakes when it ends, not at the feed hold's end or the hold's.
      const wake = (shipper.dueAt(now) ?? 0) - now;
      const history = () => sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE kind <> 'event'").one().n;
      const heldRows = history();
      for (let i = 0; i < 200 && history() > 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        await shipper.deliver();
      }
      return { group, whileLoaded, watched, wake, heldRows, after: sent.slice(whileLoaded.length), left: history() };
    });
    expect(out.group.map((g) => g.at)).toEqual([expect.any(Number)]);
    expect(out.group[0]!.at).toBeGreaterThan(0); // the group row carries its unit's write time
    expect(out.whileLoaded).toEqual(["audit old", "lesson les_hold", "webhook dlv_hold"]);
    expect(out.watched).toBe(0);
    expect(out.heldRows).toBe(1);
    expect(out.wake).toBeGreaterThanOrEqual(1_000);
    expect(out.wake).toBeLessThanOrEqual(BUSY_HOLD_MS + 50); // workerd's clock may have moved by the delivery's I/O
    expect(out.after).toEqual(["audit fresh-1", "audit fresh-2"]);
    expect(out.left).toBe(0);
  });

  it("busy with few units (a standing backlog of long jobs, the thread idle): history is not held", async () => {
    const product = "outbox-history-idle-backlog";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sent: string[] = [];
      const history = {
        send: async (m: HistoryMessage) => void sent.push(...m.records.map((r) => `${r.body.action}`)),
      };
      const { transact, shipper } = shipperIn(state, product, { HISTORY_QUEUE: history });
      shipper.loaded(); // work waits for seats…
      for (let i = 0; i < HISTORY_HOLD_MIN_UNITS - 1; i++) shipper.noteUnit(); // …but fewer units than the bar
      transact((t) => enqueueAudit(t, "op", "prompt", "job_1"));
      await shipper.deliver();
      return sent;
    });
    expect(out).toEqual(["prompt"]);
  });

  it("history is read along its (at, seq) index, stopping at the first held row: no scan, no sort", async () => {
    const plans = await runInDurableObject(env.COORDINATOR.getByName("outbox-history-plan"), (_i, state) =>
      [
        [withLimit(DUE_HISTORY_SQL, 200), [1, 1]],
        [HELD_HISTORY_SQL, [1]],
      ].map(([q, args]) => queryPlan(state.storage.sql, q as string, ...(args as number[]))),
    );
    for (const p of plans)
      expect(p).toMatch(/SEARCH o(utbox)? USING (COVERING )?INDEX outbox_history_due \(at[<>]\?\)/);
    for (const p of plans) expect(p).not.toMatch(/TEMP B-TREE|SCAN o(utbox)?\b/);
  });
});
