// A delivery call stopped by its time budget (DELIVERY_LOOP_MS) while its rounds still settled something says when
// what is left is next worth a round as any call does: at once only when the last round was cut short by one of its
// limits (a batch full, the feed budget's pace) or records were written while it was out, else when the rest is
// due — a retry time here. It had said "now" for records waiting for a retry a minute on: the shipper then ran a
// round at once that sent nothing, and the alarm another a second later. Time is the rounds' clock, moved by the
// stand-in destinations, never waited for.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FEED_HOLD_MS } from "../../src/core/feed-hold.ts";
import { DELIVERY_LOOP_MS, deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueAudit, enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { OUTBOX_BATCH } from "../../src/durable-objects/coordinator/outbox/round-plan.ts";
import type { FeedAppend } from "../../src/durable-objects/job-feed.ts";
import { blockFirstEvent, clockedProduct, feedHost } from "./outbox-clocked";
import { deliveryHost } from "./state";

const written = 1_000_000_000;

describe("a delivery call stopped by its time budget", () => {
  it("leaves a record waiting for its retry to that retry's time, not due at once", async () => {
    const product = "early-stop-retry";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const { sql, clock, transact } = clockedProduct(state, product, written);
      transact((t) => {
        wantFeed(t, "job_read"); // its reader waits: due at once
        enqueueEvent(t, "job_read", "log", { lines: ["read"] });
        enqueueEvent(t, "job_blocked", "log", { lines: ["refused before"] });
      });
      const retryAt = written + 60_000;
      blockFirstEvent(sql, "job_blocked", retryAt, written);
      clock.at = written + FEED_HOLD_MS + 1; // job_blocked's event is ripe by age, but waits for its retry
      // The feed takes the read job's event, slowly: the one round spends the call's whole budget.
      const append = (_p: string, _j: string, events: FeedAppend[]) => {
        clock.at += DELIVERY_LOOP_MS;
        return Promise.resolve(events.length);
      };
      const { host } = feedHost(product, sql, append, clock, transact);
      const result = await deliverOutbox(host, 0);
      return { result, retryAt, left: sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n };
    });
    expect(out.left).toBe(1);
    expect(out.result.settled).toBe(1);
    expect(out.result.wakeAt).toBe(out.retryAt);
  });

  it("leaves a record a unit wrote while the round was out due at once, beside one waiting for its retry", async () => {
    const product = "early-stop-written";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const { sql, clock, transact } = clockedProduct(state, product, written);
      transact((t) => {
        wantFeed(t, "job_read");
        enqueueEvent(t, "job_read", "log", { lines: ["read"] });
        enqueueEvent(t, "job_blocked", "log", { lines: ["refused before"] });
      });
      blockFirstEvent(sql, "job_blocked", written + 60_000, written);
      clock.at = written + FEED_HOLD_MS + 1;
      const append = (_p: string, _j: string, events: FeedAppend[]) => {
        clock.at += DELIVERY_LOOP_MS;
        transact((t) => enqueueAudit(t, "op", "meanwhile", "product")); // a unit commits while the feed call is out
        return Promise.resolve(events.length);
      };
      const { host } = feedHost(product, sql, append, clock, transact);
      const result = await deliverOutbox(host, 0);
      return { result, endedAt: clock.at };
    });
    expect(out.result.settled).toBe(1);
    expect(out.result.wakeAt).toBe(out.endedAt);
  });

  it("leaves the rest of a full batch due at once", async () => {
    const product = "early-stop-full";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const { sql, clock, transact } = clockedProduct(state, product, written);
      transact((t) => {
        for (let i = 0; i <= OUTBOX_BATCH; i++) enqueueAudit(t, "op", `audit-${i}`, "product");
      });
      // The history queue takes the batch's message, slowly: the one round spends the call's whole budget.
      const slow = {
        ...env,
        HISTORY_QUEUE: {
          send: () => {
            clock.at += DELIVERY_LOOP_MS;
            return Promise.resolve();
          },
        },
      } as unknown as Env;
      const host = deliveryHost(product, sql, {
        env: slow,
        appendFeeds: () => Promise.resolve([]),
        now: () => clock.at,
        transact,
      });
      const result = await deliverOutbox(host, 0);
      return { result, endedAt: clock.at };
    });
    expect(out.result.settled).toBe(OUTBOX_BATCH);
    expect(out.result.wakeAt).toBe(out.endedAt);
  });
});
