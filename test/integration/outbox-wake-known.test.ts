// Every round that leaves records behind knows when they are next due (outbox/wake `roundWake`): a feed slot, a
// hold's end, a retry time or a refusing queue's ask — it never falls back to a blind wake. fast-check over runs of
// real writes (feed events, watched or not; history records; webhook deliveries), delivery rounds with the job feeds,
// the history queue and the webhook queue each up, down or refusing after one call, time moved by the wake asked for or by any step, the coordinator loaded
// or not, readers' flushes and evictions (memory forgotten, SQLite kept), the clock ticking within each round. Once
// every destination is up, rounds at the wakes asked for empty the outbox. Red without the round's plan time: an event
// whose hold ended while the round ran had no due time known.
import { env, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FEED_HOLD_MS } from "../../src/core/feed-hold.ts";
import { HISTORY_HOLD_MS } from "../../src/core/history-hold.ts";
import { deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { QueueHealth } from "../../src/durable-objects/coordinator/outbox/queue-health.ts";
import { enqueueAudit, enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { OutboxShipper } from "../../src/durable-objects/coordinator/outbox/shipper.ts";
import { NO_DUE_TIME } from "../../src/durable-objects/coordinator/outbox/wake.ts";
import { enqueueWebhook, WEBHOOK_META_KEY } from "../../src/durable-objects/coordinator/outbox/webhook-records.ts";
import { forgetMeta, setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import type { FeedAppend } from "../../src/durable-objects/job-feed.ts";
import { deliveryHost } from "./state";

type Mode = "up" | "down" | "one";
const mode = fc.constantFrom<Mode>("up", "down", "one");
const step = fc.oneof(
  fc.record({ op: fc.constant("event" as const), job: fc.nat(2), wanted: fc.boolean() }),
  fc.record({ op: fc.constant("audit" as const) }),
  fc.record({ op: fc.constant("webhook" as const) }),
  fc.record({
    op: fc.constant("round" as const),
    feeds: mode,
    queue: mode,
    hooks: mode,
    // By the wake asked for, or by a step: within a hold, across its end, the retry cap and more.
    by: fc.oneof(
      fc.constant("wake" as const),
      fc.constantFrom(0, 1, 999, FEED_HOLD_MS - 1, FEED_HOLD_MS + 1, HISTORY_HOLD_MS, 300_000, 3_600_000),
    ),
  }),
  fc.record({ op: fc.constant("flush" as const), job: fc.nat(2), feeds: mode }),
  fc.record({ op: fc.constant("load" as const), held: fc.boolean() }),
  fc.record({ op: fc.constant("evict" as const) }),
);

let run = 0;

/** Runs `steps` on a fresh coordinator, then rounds with everything up: the records left, and the rounds that took. */
async function play(steps: Array<typeof step extends fc.Arbitrary<infer T> ? T : never>) {
  const product = `wake-known-${run++}`;
  return runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
    const sql = state.storage.sql;
    sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
    let clock = 1_000_000_000;
    let feeds: Mode = "up";
    let queue: Mode = "up";
    let hooks: Mode = "up";
    let held = false;
    const tx = (): Tx => ({ sql, productId: product, now: clock });
    const transact = <T>(fn: (t: Tx) => T): T => state.storage.transactionSync(() => fn(tx()));
    // "one": takes one call, then refuses until the mode is set again.
    const gate = (get: () => Mode, set: (m: Mode) => void) => () => {
      const m = get();
      if (m === "one") set("down");
      return m === "down" ? Promise.reject(new Error("refused")) : Promise.resolve();
    };
    const feedGate = gate(
      () => feeds,
      (m) => {
        feeds = m;
      },
    );
    const queueGate = gate(
      () => queue,
      (m) => {
        queue = m;
      },
    );
    const hookGate = gate(
      () => hooks,
      (m) => {
        hooks = m;
      },
    );
    const e = {
      ...env,
      JOB_FEED: {
        getByName: () => ({ append: (_p: string, _j: string, ev: FeedAppend[]) => feedGate().then(() => ev.length) }),
      },
      HISTORY_QUEUE: { send: () => queueGate() },
      WEBHOOK_QUEUE: { send: () => hookGate(), sendBatch: () => hookGate() },
    } as unknown as Env;
    transact((t) => setMeta(t.sql, WEBHOOK_META_KEY, "{}")); // the product has a webhook: its changes are delivered
    const host = deliveryHost(product, sql, {
      env: e,
      appendFeeds: (b) => appendFeeds(e, product, b),
      now: () => clock++, // time passes while a round runs: a hold may end between its plan and its wake
      transact,
    });
    host.historyHeld = () => held;
    let outageRounds = 0;
    let wake: number | undefined;
    const round = async () => {
      const o = await deliverOutbox(host, outageRounds);
      outageRounds = o.backoffUntil === undefined ? 0 : outageRounds + 1;
      wake = o.backoffUntil ?? o.wakeAt;
    };
    for (const s of steps) {
      if (s.op === "event")
        transact((t) => {
          enqueueEvent(t, `job_${s.job}`, "log", { lines: ["x"] });
          if (s.wanted) wantFeed(t, `job_${s.job}`);
        });
      else if (s.op === "audit") transact((t) => enqueueAudit(t, "op", "job.create", "product"));
      else if (s.op === "webhook")
        transact((t) => enqueueWebhook(t, "job.stage", { job: { id: "job_0", stage: "queued" } }));
      else if (s.op === "load") held = s.held;
      else if (s.op === "evict") {
        host.queues = new QueueHealth();
        outageRounds = 0;
        forgetMeta(sql);
      } else if (s.op === "flush") {
        feeds = s.feeds;
        const units = { sql, productId: product, transact } as unknown as Units;
        await new OutboxShipper(e, units, async () => {}).flushFeed(`job_${s.job}`);
      } else {
        feeds = s.feeds;
        queue = s.queue;
        hooks = s.hooks;
        clock = s.by === "wake" ? Math.max(clock, wake ?? clock) : clock + s.by;
        await round();
      }
    }
    feeds = "up";
    queue = "up";
    hooks = "up";
    held = false;
    let rounds = 0;
    const left = () => sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
    for (; rounds < 100 && left() > 0; rounds++) {
      await round();
      clock = Math.max(clock + 1_000, wake ?? clock);
    }
    return { left: left(), rounds };
  });
}

describe("a round that leaves records behind", () => {
  afterEach(() => vi.restoreAllMocks());

  it("always knows when they are next due; with every destination up, the outbox empties", async () => {
    const warn = vi.spyOn(console, "warn");
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        warn.mockClear();
        const out = await play(steps);
        const blind = warn.mock.calls.filter((c) => String(c[0]).startsWith(NO_DUE_TIME));
        expect(blind).toEqual([]);
        expect(out.left).toBe(0);
      }),
      {
        numRuns: 100,
        // An event whose feed hold ends while the round that found it held runs.
        examples: [
          [
            [
              { op: "event", job: 0, wanted: false },
              { op: "round", feeds: "up", queue: "up", hooks: "up", by: FEED_HOLD_MS - 1 },
            ],
          ],
        ],
      },
    );
  });
});
