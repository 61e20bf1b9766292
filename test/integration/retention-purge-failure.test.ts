// A feed whose retention purge fails fails the cron run, naming its product, until the purge works: the pass still
// prunes everything else it can (the other feeds, the rows), and the failed feed is tried again by the next run.
//
// The purge's failure was only a console warning inside the coordinator: `prune` still answered ok, so the cron run
// (worker/reaper `cronSweep`, which fails naming the products whose sweep or prune failed) was reported a success,
// and the feed — behind a watermark that never moved past it — was kept for good without anyone knowing.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { JobFeed } from "../../src/durable-objects/job-feed.ts";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import type { JobEvent } from "../../src/shared/protocol.ts";
import { cronSweep } from "../../src/worker/reaper.ts";
import { ADMIN, api, eventsOf, P, submit } from "./client.ts";

const DAY = 86_400_000;

/** The feed's purge throws (its sweep alarm, for the bytes, cannot be armed) until `restore` is called. */
async function breakPurge(product: string, jobId: string): Promise<() => Promise<void>> {
  type Arming = { armSweep: () => Promise<void> };
  const feed = env.JOB_FEED.getByName(feedName(product, jobId));
  await runInDurableObject(feed, (instance: JobFeed) => {
    (instance as unknown as Arming).armSweep = () => Promise.reject(new Error("storage refused the alarm"));
  });
  return () =>
    runInDurableObject(feed, (instance: JobFeed) => {
      delete (instance as unknown as Partial<Arming>).armSweep;
    });
}

const eventsLeft = async (product: string, jobId: string) =>
  ((await env.JOB_FEED.getByName(feedName(product, jobId)).list(0, 100)) as { events: JobEvent[] }).events.length;

describe("a cron run meeting a feed whose purge fails", () => {
  it("fails naming the product, purges the rest, and succeeds once the purge works", async () => {
    const product = "retention-purge-fails";
    await env.DB.prepare("INSERT OR IGNORE INTO products(id, first_seen_at, last_seen_at) VALUES (?, 0, 0)")
      .bind(product)
      .run();
    const stuck = await submit(product, { title: "its purge will fail" });
    const next = await submit(product, { title: "behind it" });
    for (const id of [stuck.id, next.id]) {
      const cancel = await api("POST", `${P(product)}/jobs/${id}/actions/cancel`, { token: ADMIN, json: {} });
      expect(cancel.status).toBe(200);
    }
    await eventsOf(product, stuck.id, 3); // submitted, job.action, job.stage: shipped to the feeds
    await eventsOf(product, next.id, 3);
    const restore = await breakPurge(product, stuck.id);
    const later = Date.now() + 31 * DAY;
    try {
      await expect(cronSweep(env, later)).rejects.toThrow(product);
      const pass = await env.COORDINATOR.getByName(product).prune(product, later);
      expect(pass).toMatchObject({ ok: false, error: { code: "unavailable", details: { failedJobs: [stuck.id] } } });
      expect(await eventsLeft(product, next.id)).toBe(0); // the rest is purged all the same
    } finally {
      await restore();
    }
    expect(await cronSweep(env, later)).toMatchObject({ failed: 0 });
    expect(await eventsLeft(product, stuck.id)).toBe(0);
    // Both feeds purged: the watermark is past them, and a run after it has nothing to purge.
    expect(await env.COORDINATOR.getByName(product).prune(product, later)).toMatchObject({
      ok: true,
      value: { feeds: 0 },
    });
  });
});

// The unit that moves the watermark past the purged feeds was not checked either: refused, the pass answered ok, and
// every next pass found the same feeds due first (FEEDS_PER_PASS of them), so no later feed was ever purged.
describe("a retention pass whose watermark unit is refused", () => {
  it("answers the refusal, and the next pass moves the watermark", async () => {
    const product = "retention-watermark-refused";
    const job = await submit(product, { title: "purged, the watermark not moved" });
    expect((await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} })).status).toBe(
      200,
    );
    await eventsOf(product, job.id, 3);
    const later = Date.now() + 31 * DAY;
    type Units = { units: { run: (...args: unknown[]) => Promise<unknown> } };
    const pass = await runInDurableObject(env.COORDINATOR.getByName(product), async (instance: ProductCoordinator) => {
      const units = (instance as unknown as Units).units;
      const run = units.run;
      let calls = 0;
      // The pass's second unit is the watermark's (its first found the feeds due).
      units.run = (...args) =>
        ++calls === 2
          ? Promise.resolve({ ok: false, error: { code: "unavailable", message: "the unit was refused" } })
          : run.apply(units, args);
      try {
        return await instance.prune(product, later);
      } finally {
        units.run = run;
      }
    });
    expect(pass).toMatchObject({ ok: false, error: { code: "unavailable", message: "the unit was refused" } });
    expect(await env.COORDINATOR.getByName(product).prune(product, later)).toMatchObject({
      ok: true,
      value: { feeds: 1 },
    });
    expect(await env.COORDINATOR.getByName(product).prune(product, later)).toMatchObject({
      ok: true,
      value: { feeds: 0 },
    });
  });
});
