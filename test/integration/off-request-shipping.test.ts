// Records written outside any unit are shipped at once, not left for the alarm or an unrelated unit (runtime/units,
// the shipping rule): a trailing dispatch pass (factories/throttle) runs in a timer of its own, and the jobs it
// assigns — after a burst of submits, or into a seat a release freed — reach D1 history as `assigned`, and a watched
// job's feed its `job.stage` to assigned, while the alarm is held and no other unit follows.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { validateManifest } from "../../src/core/manifest.ts";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import type { JobEvent } from "../../src/shared/protocol.ts";
import { enroll, eventsOf, submit, until } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";
import { dispatchSettled, holdAlarm } from "./state";

const snapshotStages = async (product: string, jobId: string) =>
  (
    await env.DB.prepare("SELECT stage FROM job_snapshots WHERE product_id = ? AND job_id = ? ORDER BY rev")
      .bind(product, jobId)
      .all<{ stage: string }>()
  ).results.map((r) => r.stage);

/** A job's feed read from its JobFeed itself, not through the API: opening a feed ships its pending events. */
const feedOf = (product: string, jobId: string) =>
  env.JOB_FEED.getByName(feedName(product, jobId)).list(0, 500) as Promise<{ events: JobEvent[] }>;

const assignedIn = (events: JobEvent[]) => events.some((e) => e.type === "job.stage" && e.data.to === "assigned");

/** Every job's stage by title, read in the coordinator's own storage. */
const stagesByTitle = (sql: SqlStorage) =>
  Object.fromEntries(
    sql
      .exec<{ title: string; stage: string }>("SELECT json_extract(doc, '$.title') AS title, stage FROM jobs")
      .toArray()
      .filter((r) => r.title !== "warm-up")
      .map((r) => [r.title, r.stage]),
  );

describe("records of a trailing dispatch pass", () => {
  it("reach D1 history with the alarm held", async () => {
    const product = "ship-trailing-burst";
    const f = await enroll(product, "f", [], 4);
    const { socket } = await connectFactory(product, f.token, { seats: 4 });
    const warmUp = await submit(product, { title: "warm-up" });
    await socket.next<AssignFrame>("assign");
    // The outbox idle first (the warm-up's records in D1): no delivery loop left running that would take the
    // trailing pass's records along by chance.
    await until(
      () => snapshotStages(product, warmUp.id),
      (s) => s.includes("assigned"),
      { what: "the warm-up job's assigned snapshot in D1 (the outbox idle)" },
    );
    const release = await holdAlarm(product);
    const stub = env.COORDINATOR.getByName(product);
    const ids = await runInDurableObject(stub, async (instance: ProductCoordinator, state) => {
      const input = (title: string) => ({ manifest: validateManifest({ title }), bodyMd: "" });
      // Not awaited one by one: the three units commit now, and only the first one's (leading) pass runs inline.
      const calls = ["a", "b", "c"].map((t) => instance.submit(product, input(t), "test", "admin"));
      expect(stagesByTitle(state.storage.sql)).toEqual({ a: "assigned", b: "queued", c: "queued" });
      const out = await Promise.all(calls);
      return out.map((o) => (o.ok ? o.value.job.id : ""));
    });
    await dispatchSettled(product);
    expect((await socket.next<AssignFrame>("assign")).assignments).toHaveLength(1); // a, by the leading pass
    expect((await socket.next<AssignFrame>("assign")).assignments).toHaveLength(2); // b and c, by the trailing one
    const last = ids[2]!;
    const stages = await until(
      () => snapshotStages(product, last),
      (s) => s.includes("assigned"),
    );
    expect(stages).toContain("assigned");
    await release();
    socket.close();
  });

  it("reach a watched job's feed and D1 history with the alarm held", async () => {
    const product = "ship-trailing-feed";
    const f = await enroll(product, "f", [], 1);
    const { socket } = await connectFactory(product, f.token, { seats: 1 });
    const held = await submit(product, { title: "holds the seat" });
    const lease = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    const waiting = await submit(product, { title: "waits for the seat" });
    await eventsOf(product, waiting.id, 1); // a reader opens its feed: its events are no longer held (core/feed-hold)
    const release = await holdAlarm(product);
    const stub = env.COORDINATOR.getByName(product);
    await runInDurableObject(stub, async (instance: ProductCoordinator, state) => {
      const input = { manifest: validateManifest({ title: "newer" }), bodyMd: "" };
      // One macrotask: the submit's leading pass finds no free seat; the release frees it and marks the trailing
      // pass due, which assigns the waiting job (older than "newer"; the released one is kept off this factory).
      const calls = [
        instance.submit(product, input, "test", "admin"),
        instance.release(product, f.factoryId, held.id, lease.leaseEpoch, "admin"),
      ];
      expect(stagesByTitle(state.storage.sql)["waits for the seat"]).toBe("queued");
      await Promise.all(calls);
    });
    expect((await socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(waiting.id);
    const events = await until(async () => (await feedOf(product, waiting.id)).events, assignedIn);
    expect(assignedIn(events)).toBe(true);
    const stages = await until(
      () => snapshotStages(product, waiting.id),
      (s) => s.includes("assigned"),
    );
    expect(stages).toContain("assigned");
    await release();
    socket.close();
  });
});
