// What the coordinator keeps of who watched which feed stays bounded, and revocation still reaches every stream: a
// revocation tells at most a page of feeds per invocation (the alarm tells the rest, a page at a time; a feed that
// cannot be reached is told again after a back-off, three calls in all), retention's
// purge of a feed removes the watch rows it made useless, and a feed refuses a revoked token's late stream even after
// it was evicted.

import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CLOSINGS_PER_ROUND } from "../../src/durable-objects/coordinator/access/feed-closings.ts";
import type { JobFeed } from "../../src/durable-objects/job-feed.ts";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { sha256Hex } from "../../src/worker/auth.ts";
import { ADMIN, api, mintToken, P, submit } from "./client.ts";
import { holdAlarm } from "./state.ts";

const DAY = 86_400_000;

/** Rows of `table` for `hash` in the coordinator of `product`. */
async function rowsOf(product: string, table: "feed_watchers" | "feed_closings", hash: string) {
  return runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    const [row] = state.storage.sql
      .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE token_hash = ?`, hash)
      .toArray();
    return row!.n;
  });
}

/** A WebSocket opened on the job's feed object itself, as the Worker does once it has registered the stream. */
async function openOnFeed(product: string, jobId: string, openedBy: string) {
  const res = await env.JOB_FEED.getByName(feedName(product, jobId)).fetch(
    new Request(`https://feed/ws?after=0&by=${openedBy}`, { headers: { upgrade: "websocket" } }),
  );
  res.webSocket?.accept();
  return res;
}

/** One invocation of the coordinator's own alarm handler, while `holdAlarm` keeps the runtime's from running it. */
async function alarmOnce(coordinator: DurableObjectStub<ProductCoordinator>) {
  await runInDurableObject(coordinator, (instance: ProductCoordinator) =>
    (Object.getPrototypeOf(instance) as ProductCoordinator).alarm.call(instance),
  );
}

/** How many of these jobs' feeds still hold a watcher socket. */
async function feedsWithSockets(product: string, jobIds: readonly string[]) {
  const counts = await Promise.all(
    jobIds.map(async (id) => (await env.JOB_FEED.getByName(feedName(product, id)).watchers()).sockets.length),
  );
  return counts.filter((n) => n > 0).length;
}

describe("revocation fan-out", () => {
  it("tells at most a page of feeds in the revoking call, and the alarm the rest a page per invocation", async () => {
    const product = "watch-fanout";
    const viewer = await mintToken(product, "viewer");
    const hash = await sha256Hex(viewer.token);
    const coordinator = env.COORDINATOR.getByName(product);
    const jobs: string[] = [];
    const total = 2 * CLOSINGS_PER_ROUND + 8;
    for (let i = 0; i < total; i++) {
      const job = await submit(product, { title: `watched ${i}` });
      expect(await coordinator.recordFeedWatcher(product, job.id, hash)).toMatchObject({ ok: true });
      expect((await openOnFeed(product, job.id, hash)).status).toBe(101);
      jobs.push(job.id);
    }

    const release = await holdAlarm(product); // the runtime's alarm waits: the test runs each invocation itself
    expect((await api("DELETE", `${P(product)}/tokens/${viewer.id}`, { token: ADMIN })).status).toBe(200);
    // The revoking call told one page of feeds: the others are the backlog's, not a burst of calls past the limit.
    expect(await rowsOf(product, "feed_watchers", hash)).toBe(0);
    expect(await feedsWithSockets(product, jobs)).toBe(total - CLOSINGS_PER_ROUND);
    expect(await rowsOf(product, "feed_closings", hash)).toBe(total - CLOSINGS_PER_ROUND);

    // The rest is due now (the revoking call's hand-off is over): each alarm invocation tells one page of it.
    const due = await runInDurableObject(coordinator, (_i, state) => {
      return state.storage.sql.exec<{ t: number }>("SELECT MAX(due_at) AS t FROM feed_closings").toArray()[0]!.t;
    });
    expect(due).toBeLessThanOrEqual(Date.now());
    await alarmOnce(coordinator);
    expect(await feedsWithSockets(product, jobs)).toBe(8);
    expect(await rowsOf(product, "feed_closings", hash)).toBe(8);
    await alarmOnce(coordinator);
    expect(await rowsOf(product, "feed_closings", hash)).toBe(0);
    await release();
    expect(await feedsWithSockets(product, jobs)).toBe(0);
  });
});

describe("a feed the revocation cannot reach", () => {
  it("is told again after a back-off, and given up after its third failed call", async () => {
    const product = "watch-unreachable";
    const viewer = await mintToken(product, "viewer");
    const hash = await sha256Hex(viewer.token);
    const coordinator = env.COORDINATOR.getByName(product);
    const [down, up] = [await submit(product, { title: "feed down" }), await submit(product, { title: "feed up" })];
    for (const job of [down, up]) await coordinator.recordFeedWatcher(product, job.id, hash);
    const failing = env.JOB_FEED.getByName(feedName(product, down.id));
    // Shadowed on the instance, the method is no longer one RPC may call: every call to this feed fails.
    await runInDurableObject(failing, (instance: JobFeed) => {
      Object.defineProperty(instance, "revokeStreams", { value: () => Promise.reject(new Error("unreachable")) });
    });
    const release = await holdAlarm(product);
    const closings = () =>
      runInDurableObject(coordinator, (_i, state) =>
        state.storage.sql
          .exec<{ job_id: string; tries: number; due_at: number }>("SELECT job_id, tries, due_at FROM feed_closings")
          .toArray(),
      );

    expect((await api("DELETE", `${P(product)}/tokens/${viewer.id}`, { token: ADMIN })).status).toBe(200);
    const [first] = await closings();
    expect(first).toMatchObject({ job_id: down.id, tries: 1 }); // the reachable feed's row is gone
    expect(first!.due_at).toBeGreaterThan(Date.now()); // backing off: not due at once
    for (const tries of [2, 3]) {
      await runInDurableObject(coordinator, (_i, state) => {
        state.storage.sql.exec("UPDATE feed_closings SET due_at = ?", Date.now() - 1); // the back-off is over
      });
      await alarmOnce(coordinator);
      expect(await closings()).toHaveLength(tries < 3 ? 1 : 0);
    }
    await release();
  });
});

describe("watch rows", () => {
  it("go when retention purges the watched feed, so a long-lived token does not keep one per job for ever", async () => {
    const product = "watch-retention";
    const viewer = await mintToken(product, "viewer");
    const hash = await sha256Hex(viewer.token);
    const coordinator = env.COORDINATOR.getByName(product);
    const old = await submit(product, { title: "finished long ago" });
    const live = await submit(product, { title: "still queued" });
    for (const job of [old, live]) await coordinator.recordFeedWatcher(product, job.id, hash);
    await runInDurableObject(coordinator, (_i, state) => {
      state.storage.sql.exec("UPDATE feed_watchers SET opened_at = opened_at - 120000"); // two minutes ago
    });
    // Registered just now: its stream may reach the feed after the purge, so its row stays for its revocation.
    const fresh = await sha256Hex((await mintToken(product, "viewer", "second")).token);
    expect(await coordinator.recordFeedWatcher(product, old.id, fresh)).toMatchObject({ ok: true });
    const cancel = await api("POST", `${P(product)}/jobs/${old.id}/actions/cancel`, { token: ADMIN, json: {} });
    expect(cancel.status).toBe(200);
    expect(await rowsOf(product, "feed_watchers", hash)).toBe(2);

    const pass = await coordinator.prune(product, Date.now() + 31 * DAY);
    expect(pass).toMatchObject({ ok: true, value: { feeds: 1 } });
    // The purged feed's old row is gone; the queued job's stays (its stream may still be open), and the fresh one.
    const left = await runInDurableObject(coordinator, (_i, state) =>
      state.storage.sql
        .exec<{ token_hash: string; job_id: string }>("SELECT token_hash, job_id FROM feed_watchers")
        .toArray(),
    );
    expect(left).toEqual(
      expect.arrayContaining([
        { token_hash: hash, job_id: live.id },
        { token_hash: fresh, job_id: old.id },
      ]),
    );
    expect(left).toHaveLength(2);
  });
});

describe("a stream authorised just before its token's revocation", () => {
  it("is refused by the feed even when the feed was evicted between the revocation and the stream", async () => {
    const product = "watch-evicted";
    const viewer = await mintToken(product, "viewer");
    const hash = await sha256Hex(viewer.token);
    const job = await submit(product, { title: "watched" });
    // The Worker authorised the stream and registered it; then the token is revoked before the stream reaches the feed.
    await env.COORDINATOR.getByName(product).recordFeedWatcher(product, job.id, hash);
    expect((await api("DELETE", `${P(product)}/tokens/${viewer.id}`, { token: ADMIN })).status).toBe(200);
    const feed = env.JOB_FEED.getByName(feedName(product, job.id));
    await evictDurableObject(feed);

    const res = await openOnFeed(product, job.id, hash);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /); // every 401 names its scheme (RFC 9110)
    expect((await feed.watchers()).sockets).toHaveLength(0);
  });
});
