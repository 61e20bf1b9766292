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
// test/integration/feed-purge-requeue covers the refusal.)
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { JobFeed } from "../../src/durable-objects/job-feed.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import type { JobEvent } from "../../src/shared/protocol.ts";

const note = (n: number) => ({ type: "job.note", at: Date.now(), data: { n } });

const pointer = (jobId: string, name: string, r2Key: string) => ({
  jobId,
  name,
  r2Key,
  size: 9,
  contentType: "text/plain",
  sha256: "0".repeat(64),
  createdAt: Date.now(),
  uploadedBy: "operator",
});

/** Runs `during` on the feed object while its `purge` waits on R2, and returns what both gave. */
async function purgeWith<T>(product: string, jobId: string, during: (feed: JobFeed) => Promise<T>) {
  const stub = env.JOB_FEED.getByName(feedName(product, jobId));
  await stub.append(product, jobId, [note(1), note(2), note(3)]);
  const oldKey = `${product}/${jobId}/operator/up_1/log.txt`;
  await env.ARTIFACTS.put(oldKey, "old bytes");
  await stub.putArtifact(pointer(jobId, "log.txt", oldKey));
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
    const { stub, oldKey } = await purgeWith(product, jobId, (feed) =>
      feed.putArtifact(pointer(jobId, "diff.patch", newKey)),
    );
    expect(await env.ARTIFACTS.head(oldKey)).toBeNull();
    const kept = await stub.getArtifact("diff.patch");
    const bytes = await env.ARTIFACTS.head(newKey);
    // No orphan: a pointer without bytes would 404, bytes without a pointer are never deleted.
    expect(kept === null).toBe(bytes === null);
  });
});
