// A record the coordinator enqueued before a retention purge was decided is of the purged life: delivered after the
// purge — a redelivery, or one still in the outbox when the purge was decided — it is dropped, not appended to the
// emptied log, whether the log held events when it was purged or none yet; a record enqueued after the decision (a
// requeued job's) is kept and continues the feed's seq.
//
// The purge kept only the highest source seq it deleted, and nothing at all when the log was empty: a record still in
// the outbox landed on the emptied log after the purge and stayed there for good, retention's watermark past its job.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import type { JobEvent } from "../../src/shared/protocol.ts";

const record = (sourceSeq: number) => ({ sourceSeq, type: "log", at: sourceSeq, data: { n: sourceSeq } });

const feedOf = (product: string, jobId: string) => env.JOB_FEED.getByName(feedName(product, jobId));

async function logOf(product: string, jobId: string): Promise<Array<[number, unknown]>> {
  const { events }: { events: JobEvent[] } = await feedOf(product, jobId).list(0, 500);
  return events.map((e) => [e.seq, e.data.n]);
}

describe("a record delivered after its feed's purge", () => {
  it("enqueued before the decision, above every record the log held: dropped; after it: kept", async () => {
    const [product, jobId] = ["late-after-events", "job_late1"];
    const feed = feedOf(product, jobId);
    await feed.append(product, jobId, [record(10), record(11), record(12)]);
    expect(await feed.purge(20)).toEqual({ events: 3, artifacts: 0 });
    // 15 and 20 were still in the outbox when the purge was decided at 20; 5 is below what the log had.
    expect(await feed.append(product, jobId, [record(5), record(15), record(20)])).toBe(3);
    expect(await logOf(product, jobId)).toEqual([]);
    expect(await feed.append(product, jobId, [record(21)])).toBe(4);
    expect(await logOf(product, jobId)).toEqual([[4, 21]]);
  });

  it("to a feed purged while its log was still empty: dropped below the decision's mark, kept above it", async () => {
    const [product, jobId] = ["late-empty", "job_late2"];
    const feed = feedOf(product, jobId);
    expect(await feed.purge(30)).toEqual({ events: 0, artifacts: 0 });
    expect(await feed.append(product, jobId, [record(25), record(30)])).toBe(0);
    expect(await logOf(product, jobId)).toEqual([]);
    expect(await feed.append(product, jobId, [record(31)])).toBe(1);
    expect(await logOf(product, jobId)).toEqual([[1, 31]]);
  });

  it("a later purge with a lower mark keeps the higher one", async () => {
    const [product, jobId] = ["late-lower-mark", "job_late3"];
    const feed = feedOf(product, jobId);
    await feed.purge(50);
    await feed.purge(40);
    expect(await feed.append(product, jobId, [record(45)])).toBe(0);
    expect(await logOf(product, jobId)).toEqual([]);
  });
});
