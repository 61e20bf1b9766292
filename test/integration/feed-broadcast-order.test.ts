// A live watcher gets a job's events in seq order, artifact events included: an artifact recorded or deleted is
// broadcast in the same synchronous step as its commit, so no append let in while the feed then arms its sweep
// alarm can overtake it. Overtaken, the artifact event reached watchers after a later seq, and readers that drop
// what is at or below the last seq they showed (the CLI, the dashboard) dropped it: a gap in a live feed.
//
// As in feed-purge.test.ts, the interleaving the platform allows at that await is made by the test itself: the
// calls go to the feed object directly, inside it, the append while `putArtifact`/`deleteArtifact` awaits.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { JobFeed } from "../../src/durable-objects/job-feed.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import type { JobEvent } from "../../src/shared/protocol.ts";
import { ADMIN, api, P, submit } from "./client.ts";
import { openSocket, type TestSocket } from "./sockets.ts";
import { feedPointer } from "./state.ts";

const note = (n: number) => ({ type: "log", at: Date.now(), data: { n } });

/** The seqs of the next `n` event frames `socket` receives, in arrival order. */
async function seqsOf(socket: TestSocket, n: number): Promise<number[]> {
  const seqs: number[] = [];
  while (seqs.length < n) seqs.push((await socket.next<{ event: JobEvent }>("event")).event.seq);
  return seqs;
}

/** A job whose feed is open, with a live WebSocket watcher and the feed stub. */
async function watched(product: string) {
  const job = await submit(product, { title: "uploads" });
  const read = await api<{ lastSeq: number }>("GET", `${P(product)}/jobs/${job.id}/events`, { token: ADMIN });
  const socket = await openSocket(`${P(product)}/jobs/${job.id}/events/ws?after=${read.body.lastSeq}`, {
    authorization: `Bearer ${ADMIN}`,
  });
  await socket.next("ready");
  return { jobId: job.id, socket, stub: env.JOB_FEED.getByName(feedName(product, job.id)) };
}

describe("artifact events on a live feed", () => {
  it("a replaced artifact's event is not overtaken by an append made while its sweep alarm is armed", async () => {
    const product = "order-put";
    const { jobId, socket, stub } = await watched(product);
    const key = (n: number) => `${product}/${jobId}/operator/up_${n}/log.txt`;
    await stub.intendUpload(product, jobId, { r2Key: key(1), name: "log.txt", size: 9, settledAt: null });
    await stub.putArtifact(feedPointer(jobId, "log.txt", key(1)), null);
    await seqsOf(socket, 1);
    // The second upload replaces the first: its key is doomed, so the commit awaits the feed's alarm being set.
    await stub.intendUpload(product, jobId, { r2Key: key(2), name: "log.txt", size: 9, settledAt: null });
    await runInDurableObject(stub, async (feed: JobFeed) => {
      const put = feed.putArtifact(feedPointer(jobId, "log.txt", key(2)), null);
      await feed.append(product, jobId, [note(1)]);
      await put;
    });
    const seqs = await seqsOf(socket, 2);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    socket.close();
  });

  it("a deleted artifact's event is not overtaken by an append made meanwhile", async () => {
    const product = "order-delete";
    const { jobId, socket, stub } = await watched(product);
    const key = `${product}/${jobId}/operator/up_1/out.txt`;
    await stub.intendUpload(product, jobId, { r2Key: key, name: "out.txt", size: 9, settledAt: null });
    await stub.putArtifact(feedPointer(jobId, "out.txt", key), null);
    await seqsOf(socket, 1);
    await runInDurableObject(stub, async (feed: JobFeed) => {
      const deleted = feed.deleteArtifact("out.txt", Date.now());
      await feed.append(product, jobId, [note(2)]);
      await deleted;
    });
    const seqs = await seqsOf(socket, 2);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    socket.close();
  });
});
