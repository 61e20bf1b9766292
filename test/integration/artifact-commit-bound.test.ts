// An artifact commit waits for the job's feed only within its bound (coordinator/jobs/artifact-commit): a JobFeed's
// pointer call held past it — as a slow or stuck feed object holds it — answers the commit 503 `unavailable` with a
// Retry-After, and the pointer's call, delivered once the feed is free again, records nothing: the feed refuses a
// commit past the time it was given and gives its upload up (the bytes deleted). The commit awaited the feed for as
// long as it took, inside the coordinator's exclusive section: past 30 s the runtime resets the coordinator. The bound is set short
// here (its value is no claim, its existence is); the test releases the feed, never waits for time.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ArtifactPointer } from "../../src/durable-objects/feed/artifacts.ts";
import { JobFeed } from "../../src/durable-objects/job-feed.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { submit, until } from "./client.ts";
import { answered, type Composed, feedsAnswering, held, writeEvent } from "./outbox-outage-window.ts";

type Answer = { ok: boolean; error?: { code: string; details?: { retryAfterSeconds?: number } } };

/** An operator's upload of `name` to `jobId`, its intent recorded and its bytes in R2, ready to commit. */
async function uploaded(product: string, jobId: string, name: string): Promise<ArtifactPointer> {
  const r2Key = `${product}/${jobId}/operator/${crypto.randomUUID()}/${name}`;
  const feed = env.JOB_FEED.getByName(feedName(product, jobId));
  const intent = await feed.intendUpload(product, jobId, { r2Key, name, size: 5, settledAt: null });
  expect(intent.ok).toBe(true);
  await env.ARTIFACTS.put(r2Key, "bytes");
  const at = Date.now();
  return {
    jobId,
    name,
    r2Key,
    size: 5,
    contentType: "text/plain",
    sha256: "0".repeat(64),
    createdAt: at,
    uploadedBy: "t",
  };
}

/**
 * The next pointer call any JobFeed is sent waits in the feed, as a slow feed object's does, until the returned
 * release is called; then it runs as it would have. Restored after that one call.
 */
function holdNextPut(): () => void {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  const proto = JobFeed.prototype;
  const real = proto.putArtifact;
  proto.putArtifact = async function (this: JobFeed, ...args: Parameters<typeof real>) {
    proto.putArtifact = real;
    await released;
    return real.apply(this, args);
  } as typeof real;
  return release;
}

/** The coordinator of `product`: its commit bound set to `ms`, once none of `jobId`'s events are held for its feed. */
async function boundCommits(product: string, jobId: string, ms: number): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
    (instance as unknown as { commitFeedMs: number }).commitFeedMs = ms;
    await until(
      async () => held(state.storage.sql, jobId),
      (n) => n === 0,
      { what: `${jobId}'s events shipped` },
    );
  });
}

const feedState = (product: string, jobId: string) =>
  runInDurableObject(env.JOB_FEED.getByName(feedName(product, jobId)), (_i, state) => ({
    intents: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM upload_intents").one().n,
    pointers: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM artifacts").one().n,
  }));

describe("an artifact commit whose job feed is held past the commit's bound", () => {
  it("is answered 503 with a Retry-After; the late pointer records nothing and its bytes go", async () => {
    const product = "art-commit-held";
    const job = await submit(product, { title: "x" });
    await boundCommits(product, job.id, 300);
    const pointer = await uploaded(product, job.id, "log.txt");
    const release = holdNextPut();
    let answer: Answer | undefined;
    try {
      const commit = env.COORDINATOR.getByName(product).commitArtifact(
        product,
        { kind: "operator" },
        pointer,
        "admin",
      ) as Promise<Answer>;
      answer = await until(answered(commit), (v) => v !== undefined, {
        what: "the commit answered, its feed still held",
        ms: 10_000,
      });
    } finally {
      release();
    }
    expect(answer).toMatchObject({ ok: false, error: { code: "unavailable" } });
    expect(answer?.error?.details?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // The pointer's call, delivered now, finds itself late: refused, its upload given up.
    const after = await until(
      () => feedState(product, job.id),
      (s) => s.intents === 0,
      { what: "the late commit refused and its upload given up" },
    );
    expect(after).toEqual({ intents: 0, pointers: 0 });
    await env.JOB_FEED.getByName(feedName(product, job.id)).sweep();
    expect((await env.ARTIFACTS.list({ prefix: `${product}/${job.id}/` })).objects).toEqual([]);
  });

  it("a feed that never answers the flush of the job's held events: the commit is answered within its bound", async () => {
    const product = "art-commit-flush-hung";
    const job = await submit(product, { title: "x" });
    await boundCommits(product, job.id, 300);
    const pointer = await uploaded(product, job.id, "log.txt");
    await runInDurableObject(env.COORDINATOR.getByName(product), async (instance) => {
      const co = instance as unknown as Composed;
      // The job's feed never answers an append (the pointer's call would go to the real feed: it is never made).
      co.outbox.env = feedsAnswering(product, (id) => (id === job.id ? () => new Promise<never>(() => {}) : undefined));
      await writeEvent(co, product, job.id);
    });
    const commit = env.COORDINATOR.getByName(product).commitArtifact(
      product,
      { kind: "operator" },
      pointer,
      "admin",
    ) as Promise<Answer>;
    const out = await until(answered(commit), (v) => v !== undefined, {
      what: "the commit answered, its flush's call out",
      ms: 10_000,
    });
    expect(out).toMatchObject({ ok: false, error: { code: "unavailable" } });
    expect(await feedState(product, job.id)).toEqual({ intents: 1, pointers: 0 }); // the route abandons it
  });

  it("a commit that reaches its feed in time is recorded as before", async () => {
    const product = "art-commit-in-time";
    const job = await submit(product, { title: "x" });
    await boundCommits(product, job.id, 10_000);
    const pointer = await uploaded(product, job.id, "log.txt");
    const out = (await env.COORDINATOR.getByName(product).commitArtifact(
      product,
      { kind: "operator" },
      pointer,
      "admin",
    )) as Answer;
    expect(out.ok).toBe(true);
    expect(await feedState(product, job.id)).toEqual({ intents: 0, pointers: 1 });
  });
});
