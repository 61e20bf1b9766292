// Retention purges the feed of a job terminal for 30 days; an operator may requeue a `dead_letter` job at any time,
// also while that purge is under way. The purge was decided once, from a read the coordinator made before awaiting
// its own unit's hooks and the purge RPC, and the JobFeed deleted whatever it held when the call landed: a job
// requeued in between had its new events deleted and its watchers closed with 4410. (Found by a concurrency reviewer.)
//
// Now the purge is decided against the job's state twice, each time atomically (coordinator/jobs/retention): in a
// coordinator unit right before the purges are issued (`stillDue`), and in the JobFeed as of that unit's outbox seq
// (feed/purge): an event the coordinator enqueued after the decision refuses it. These tests make each interleaving.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { retentionCutoffs } from "../../src/core/retention.ts";
import { purgeFeeds, stillDue } from "../../src/durable-objects/coordinator/jobs/retention.ts";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { ADMIN, api, eventsOf, P, submit, until } from "./client.ts";
import { openSocket } from "./sockets.ts";

const DAY = 86_400_000;
type Event = Awaited<ReturnType<typeof eventsOf>>[number];

/** A job dead-lettered with a feed of 3 events (submitted, job.stage, job.action); its `updatedAt` and events. */
async function deadLettered(product: string) {
  const job = await submit(product, { title: "dead long ago" });
  expect((await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} })).status).toBe(
    200,
  );
  // Retries exhausted would take a factory and its runs; the stage is what matters here (cancelled cannot be requeued).
  const at = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(
      "UPDATE jobs SET stage = 'dead_letter', doc = json_set(doc, '$.stage', 'dead_letter') WHERE id = ?",
      job.id,
    );
    return state.storage.sql
      .exec<{ at: number }>("SELECT json_extract(doc, '$.updatedAt') AS at FROM jobs WHERE id = ?", job.id)
      .one().at;
  });
  const events = await eventsOf(product, job.id, 3);
  expect(events.map((e) => e.type)).toEqual(["job.submitted", "job.stage", "job.action"]);
  return { id: job.id, at, events };
}

const requeue = (product: string, jobId: string) =>
  api("POST", `${P(product)}/jobs/${jobId}/actions/requeue`, { token: ADMIN, json: {} });

const requeuedTo = (events: Event[]) => events.some((e) => e.type === "job.stage" && e.data.to === "queued");

describe("a feed purge racing an operator's requeue", () => {
  it("a requeue committed after the pass found the job due but before the purge is issued: nothing is purged", async () => {
    const product = "purge-requeue-recheck";
    const job = await deadLettered(product);
    const pruned = await runInDurableObject(
      env.COORDINATOR.getByName(product),
      async (instance: ProductCoordinator) => {
        const pruning = instance.prune(product, Date.now() + 31 * DAY); // its first unit finds the job due, then awaits
        expect((await instance.action(product, job.id, "requeue", { actor: "operator" })).ok).toBe(true);
        return pruning;
      },
    );
    expect(pruned).toMatchObject({ ok: true, value: { feeds: 0 } });
    const after = await until(() => eventsOf(product, job.id, 5), requeuedTo);
    expect(after.slice(0, 3)).toEqual(job.events);
    expect(after.map((e) => e.seq)).toEqual(after.map((_, i) => i + 1));
  });

  it("a requeue committed after the decision whose events reach the feed first: the purge is refused, watchers stay", async () => {
    const product = "purge-requeue-refused";
    const job = await deadLettered(product);
    const watcher = await openSocket(`${P(product)}/jobs/${job.id}/events/ws?after=0`, {
      authorization: `Bearer ${ADMIN}`,
    });
    await watcher.next("ready");
    const cut = retentionCutoffs(Date.now() + 31 * DAY);
    const decision = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      stillDue({ sql: state.storage.sql, productId: product, now: Date.now() }, [job], cut),
    );
    expect(decision.due).toEqual([job]);
    expect((await requeue(product, job.id)).status).toBe(200);
    const requeued = await until(() => eventsOf(product, job.id, 5), requeuedTo); // in the feed before the purge lands
    expect(await purgeFeeds(env, product, decision)).toBeUndefined(); // refused: the watermark stays before it
    expect(await eventsOf(product, job.id, requeued.length)).toEqual(requeued);
    // The watcher was not closed: still live, it gets what happens next.
    expect((await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} })).status).toBe(
      200,
    );
    for (;;) {
      const { event } = await watcher.next<{ event: Event }>("event");
      if (event.type === "job.stage" && event.data.to === "cancelled") break;
    }
    expect(watcher.closed).toBeUndefined();
    watcher.close();
  });

  it("a purge that lands before the requeue's events: they continue the purged feed's seq, none lost", async () => {
    const product = "purge-requeue-after";
    const job = await deadLettered(product);
    const cut = retentionCutoffs(Date.now() + 31 * DAY);
    const decision = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      stillDue({ sql: state.storage.sql, productId: product, now: Date.now() }, [job], cut),
    );
    expect(await purgeFeeds(env, product, decision)).toEqual(job);
    expect((await requeue(product, job.id)).status).toBe(200);
    const after = await until(() => eventsOf(product, job.id, 2), requeuedTo);
    expect(after.map((e) => e.type)).toEqual(["job.stage", "job.action"]);
    expect(after.map((e) => e.seq)).toEqual([4, 5]);
  });
});
