// Retention's purge of a job's feed never loses or reuses an event written while it runs. An append or artifact let
// in while the purge awaits R2 lands on the emptied log with a fresh seq, and a job requeued while its purge is under
// way keeps its new events and its watchers (the purge is decided twice, atomically, against the job's state).

import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { retentionCutoffs } from "../../src/core/retention.ts";
import { purgeFeeds, stillDue } from "../../src/durable-objects/coordinator/jobs/retention.ts";
import type { JobFeed } from "../../src/durable-objects/job-feed.ts";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import type { JobEvent } from "../../src/shared/protocol.ts";
import { ADMIN, api, eventsOf, P, submit, until } from "./client.ts";
import { openSocket } from "./sockets.ts";
import { feedPointer } from "./state.ts";

// Retention purges a long-terminal job's feed (JobFeed `purge`), deleting its artifacts' bytes from R2 first. A
// Durable Object's input gate closes only for its own storage operations, so while that R2 call is out other calls
// to the feed are let in: an append landing then (an operator's requeue of the dead-lettered job, whose events ship
// at once to a watcher) was deleted with the rest, and the seq kept for the future was the one read before it — the
// next event took a seq a watcher had already been sent, with other content. An artifact recorded in that window
// lost its pointer while its bytes stayed in R2 for ever. (Found by a concurrency reviewer.)
//
// The purge now forgets the log and pointers in one synchronous step and deletes the bytes after it (feed/purge), so
// a call let in while R2 is out lands on the emptied log. The local runtime happens to hold other calls back across
// the R2 call, so these tests make the interleaving the platform allows themselves: the calls go to the feed object
// directly, inside it, the second while the purge awaits. (The purge's mark, MAX_SAFE_INTEGER, refuses nothing:
// the requeue tests below cover the refusal.)

const note = (n: number) => ({ type: "job.note", at: Date.now(), data: { n } });

/** Runs `during` on the feed object while its `purge` waits on R2, and returns what both gave. */
async function purgeWith<T>(product: string, jobId: string, during: (feed: JobFeed) => Promise<T>) {
  const stub = env.JOB_FEED.getByName(feedName(product, jobId));
  await stub.append(product, jobId, [note(1), note(2), note(3)]);
  const oldKey = `${product}/${jobId}/operator/up_1/log.txt`;
  await env.ARTIFACTS.put(oldKey, "old bytes");
  await stub.intendUpload(product, jobId, { r2Key: oldKey, name: "log.txt", size: 9, settledAt: null });
  await stub.putArtifact(feedPointer(jobId, "log.txt", oldKey), null);
  const value = await runInDurableObject(stub, async (instance: JobFeed) => {
    const purging = instance.purge(Number.MAX_SAFE_INTEGER); // runs to its R2 call, then the other call gets in
    const value = await during(instance);
    await purging;
    return value;
  });
  return { stub, oldKey, value };
}

describe("a feed purge racing a write to the same feed", () => {
  it("never hands out a seq twice: an event appended while the purge deletes R2 bytes stays below the next one", async () => {
    const product = "purge-race-seq";
    const jobId = "job_purge1";
    const { stub, value: during } = await purgeWith(product, jobId, (feed) => feed.append(product, jobId, [note(5)]));
    expect(during).toBe(5); // 3 events and the artifact's event before it
    const after = await stub.append(product, jobId, [note(6)]);
    expect(after).toBeGreaterThan(during);
    const { events, lastSeq }: { events: JobEvent[]; lastSeq: number } = await stub.list(0, 100);
    expect(lastSeq).toBe(after);
    // Each seq names one event: whatever is still listed is listed under the seq it was first sent with.
    for (const e of events) if (e.seq === during) expect(e.data).toEqual({ n: 5 });
  });

  it("an artifact recorded while the purge deletes R2 bytes keeps its pointer, or loses its bytes with it", async () => {
    const product = "purge-race-artifact";
    const jobId = "job_purge2";
    const newKey = `${product}/${jobId}/operator/up_2/diff.patch`;
    await env.ARTIFACTS.put(newKey, "new bytes");
    const { stub, oldKey } = await purgeWith(product, jobId, async (feed) => {
      await feed.intendUpload(product, jobId, { r2Key: newKey, name: "diff.patch", size: 9, settledAt: null });
      return feed.putArtifact(feedPointer(jobId, "diff.patch", newKey), null);
    });
    expect(await env.ARTIFACTS.head(oldKey)).toBeNull();
    const kept = await stub.getArtifact("diff.patch");
    const bytes = await env.ARTIFACTS.head(newKey);
    // No orphan: a pointer without bytes would 404, bytes without a pointer are never deleted.
    expect(kept === null).toBe(bytes === null);
  });
});

// A purge whose R2 delete fails has forgotten the log but not the bytes: it answers `bytesLeft`, and the pass counts
// it failed (so the cron run says so: retention-purge-bytes.test.ts) while purging the rest; the bytes are retried
// by the next pass and by the feed's alarm (armed before R2 is asked).
describe("a feed purge whose R2 delete fails", () => {
  it("fails the pass naming it, purges the rest; the feed's alarm deletes the bytes later", async () => {
    const product = "purge-r2-refuses";
    const stuck = await submit(product, { title: "its bytes will not go" });
    const next = await submit(product, { title: "behind it" });
    const up = await api("POST", `${P(product)}/jobs/${stuck.id}/artifacts?name=log.txt`, { token: ADMIN, text: "x" });
    expect(up.status).toBe(201);
    for (const id of [stuck.id, next.id])
      expect((await api("POST", `${P(product)}/jobs/${id}/actions/cancel`, { token: ADMIN, json: {} })).status).toBe(
        200,
      );
    await eventsOf(product, stuck.id, 4); // submitted, artifact.added, job.action, job.stage: shipped to the feeds
    await eventsOf(product, next.id, 3);
    const feed = env.JOB_FEED.getByName(feedName(product, stuck.id));
    const r2Key = (await feed.getArtifact("log.txt"))?.r2Key ?? "missing pointer";
    type Refusing = { deleteDoomed: () => Promise<number> };
    await runInDurableObject(feed, (instance: JobFeed) => {
      (instance as unknown as Refusing).deleteDoomed = () => Promise.reject(new Error("R2 refused the delete"));
    });
    try {
      const pass = await env.COORDINATOR.getByName(product).prune(product, Date.now() + 31 * DAY);
      expect(pass).toMatchObject({ ok: false, error: { code: "unavailable", details: { failedJobs: [stuck.id] } } });
      const left = (await env.JOB_FEED.getByName(feedName(product, next.id)).list(0, 100)) as { events: JobEvent[] };
      expect(left.events).toEqual([]);
    } finally {
      await runInDurableObject(feed, (instance: JobFeed) => {
        delete (instance as unknown as Partial<Refusing>).deleteDoomed;
      });
    }
    expect(await env.ARTIFACTS.head(r2Key)).not.toBeNull(); // refused: left for the alarm
    expect(await runDurableObjectAlarm(feed)).toBe(true);
    expect(await env.ARTIFACTS.head(r2Key)).toBeNull();
  });
});

// Retention purges the feed of a job terminal for 30 days; an operator may requeue a `dead_letter` job at any time,
// also while that purge is under way. The purge was decided once, from a read the coordinator made before awaiting
// its own unit's hooks and the purge RPC, and the JobFeed deleted whatever it held when the call landed: a job
// requeued in between had its new events deleted and its watchers closed with 4410. (Found by a concurrency reviewer.)
//
// Now the purge is decided against the job's state twice, each time atomically (coordinator/jobs/retention): in a
// coordinator unit right before the purges are issued (`stillDue`), and in the JobFeed as of that unit's outbox seq
// (feed/purge): an event the coordinator enqueued after the decision refuses it. These tests make each interleaving.

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
        expect((await instance.action(product, job.id, "requeue", { actor: "operator" }, "admin")).ok).toBe(true);
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
    expect(await purgeFeeds(env, product, decision)).toEqual({ purged: [], failed: [] }); // refused: the watermark stays before it
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
    expect(await purgeFeeds(env, product, decision)).toEqual({ purged: [job], failed: [] });
    expect((await requeue(product, job.id)).status).toBe(200);
    const after = await until(() => eventsOf(product, job.id, 2), requeuedTo);
    expect(after.map((e) => e.type)).toEqual(["job.stage", "job.action"]);
    expect(after.map((e) => e.seq)).toEqual([4, 5]);
  });
});
