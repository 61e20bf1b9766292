// A job's feed appends each outbox record once, whatever the outbox redelivers: a batch delivered again (its ack
// lost) adds nothing, before a retention purge and after it — the purge forgets the rows, not which records it saw —
// while a record enqueued after the purge's decision (a requeued job's) still continues the purged feed's seq.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import type { JobEvent } from "../../src/shared/protocol.ts";

const record = (sourceSeq: number) => ({ sourceSeq, type: "log", at: sourceSeq, data: { n: sourceSeq } });

function feedOf(product: string, jobId: string) {
  return env.JOB_FEED.getByName(feedName(product, jobId));
}

async function logOf(product: string, jobId: string): Promise<{ events: JobEvent[]; lastSeq: number }> {
  return await feedOf(product, jobId).list(0, 500);
}

describe("a redelivered outbox batch", () => {
  it("adds nothing when its records are in the log, and seqs stay gapless", async () => {
    const [product, jobId] = ["redeliver-live", "job_r1"];
    const feed = feedOf(product, jobId);
    expect(await feed.append(product, jobId, [record(7), record(8)])).toBe(2);
    // The same batch again, then one overlapping it and going past it.
    expect(await feed.append(product, jobId, [record(7), record(8)])).toBe(2);
    expect(await feed.append(product, jobId, [record(8), record(9)])).toBe(3);
    const { events } = await logOf(product, jobId);
    expect(events.map((e) => [e.seq, e.data.n])).toEqual([
      [1, 7],
      [2, 8],
      [3, 9],
    ]);
  });

  it("adds nothing after a retention purge forgot its records; a record enqueued after the decision continues the seq", async () => {
    const [product, jobId] = ["redeliver-purged", "job_r2"];
    const feed = feedOf(product, jobId);
    await feed.append(product, jobId, [record(10), record(11), record(12)]);
    expect(await feed.purge(20)).toEqual({ events: 3, artifacts: 0 });
    // The last batch delivered before the purge, its ack lost: it comes again. Before the fix it was appended anew
    // as seqs 4 and 5 — a second copy of events a watcher had been sent as 2 and 3.
    expect(await feed.append(product, jobId, [record(11), record(12)])).toBe(3);
    expect((await logOf(product, jobId)).events).toEqual([]);
    // A requeue after the decision: its record is above every record the purge saw, and is kept.
    expect(await feed.append(product, jobId, [record(21)])).toBe(4);
    const { events } = await logOf(product, jobId);
    expect(events.map((e) => [e.seq, e.data.n])).toEqual([[4, 21]]);
  });

  it("adds nothing after two purges: the second keeps what the first saw", async () => {
    const [product, jobId] = ["redeliver-twice", "job_r3"];
    const feed = feedOf(product, jobId);
    await feed.append(product, jobId, [record(5)]);
    await feed.purge(6);
    await feed.append(product, jobId, [record(30)]);
    await feed.purge(40);
    expect(await feed.append(product, jobId, [record(5), record(30)])).toBe(2);
    expect(await feed.append(product, jobId, [record(41)])).toBe(3);
    expect((await logOf(product, jobId)).events.map((e) => e.seq)).toEqual([3]);
  });
});
