// No artifact bytes are left in R2 with nothing to delete them, whatever fails: a commit that throws before it
// records the pointer (its upload is abandoned: bytes deleted), one that throws after (the bytes stay, served; the
// replaced ones go), a request that dies mid-stream or between its commit and its sweep (the JobFeed's alarm
// deletes what no pointer names, from write-ahead intents and doomed keys). And a download racing a re-upload
// serves the new bytes instead of a 404 for a name that exists.
import { createExecutionContext, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { UPLOAD_INTENT_TTL_MS } from "../../src/core/artifact-limits.ts";
import { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import worker from "../../src/worker/index.ts";
import { ADMIN, P, submit } from "./client.ts";

/** An operator's upload of `text` through the Worker; its status. */
async function upload(product: string, jobId: string, name: string, text: string): Promise<number> {
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(
    `http://gf.test${P(product)}/jobs/${jobId}/artifacts?name=${name}`,
    {
      method: "POST",
      headers: {
        authorization: `Bearer ${ADMIN}`,
        "content-length": String(text.length),
        "content-type": "text/plain",
      },
      body: text,
    },
  );
  await res.arrayBuffer();
  return res.status;
}

async function download(product: string, jobId: string, name: string) {
  const req = new Request(`http://gf.test${P(product)}/jobs/${jobId}/artifacts/${name}`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  // Straight through the Worker's handler with this test's `env`, so a spy on its bucket sees the route's reads.
  const res = await worker.fetch(req, env, createExecutionContext());
  return { status: res.status, text: await res.text() };
}

const r2Keys = async (product: string, jobId: string) =>
  (await env.ARTIFACTS.list({ prefix: `${product}/${jobId}/` })).objects.map((o) => o.key);

const feedRows = (product: string, jobId: string) =>
  runInDurableObject(env.JOB_FEED.getByName(feedName(product, jobId)), (_i, state) => ({
    intents: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM upload_intents").one().n,
    doomed: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM doomed_bytes").one().n,
  }));

/**
 * The next `commitArtifact` of any coordinator throws, as an RPC error or a coordinator reset would: `before` it did
 * anything, or `after` it committed (its answer lost). Restored after that one call.
 */
function throwOnNextCommit(when: "before" | "after"): void {
  const proto = ProductCoordinator.prototype;
  const real = proto.commitArtifact;
  proto.commitArtifact = async function (this: ProductCoordinator, ...args: Parameters<typeof real>) {
    proto.commitArtifact = real;
    if (when === "after") await real.apply(this, args);
    throw new Error(`coordinator reset (${when} the commit)`);
  } as typeof real;
}

describe("artifact bytes when a commit throws", () => {
  it("a commit that throws before recording the pointer: the upload is abandoned and its bytes deleted", async () => {
    const product = "art-throw-before";
    const job = await submit(product, { title: "x" });
    throwOnNextCommit("before");
    expect(await upload(product, job.id, "log.txt", "never committed")).toBe(500);
    expect(await r2Keys(product, job.id)).toEqual([]);
    expect(await feedRows(product, job.id)).toEqual({ intents: 0, doomed: 0 });
    expect((await download(product, job.id, "log.txt")).status).toBe(404);
  });

  it("a commit that throws after recording it: the new bytes stay and are served, the replaced bytes go", async () => {
    const product = "art-throw-after";
    const job = await submit(product, { title: "x" });
    expect(await upload(product, job.id, "log.txt", "first")).toBe(201);
    throwOnNextCommit("after");
    expect(await upload(product, job.id, "log.txt", "second")).toBe(500);
    expect(await download(product, job.id, "log.txt")).toEqual({ status: 200, text: "second" });
    expect(await r2Keys(product, job.id)).toHaveLength(1);
    expect(await feedRows(product, job.id)).toEqual({ intents: 0, doomed: 0 });
  });
});

describe("artifact bytes when the request dies", () => {
  it("mid-stream, or between its commit and its sweep: the feed's alarm deletes what no pointer names", async () => {
    const product = "art-dead-request";
    const jobId = "job_dead1";
    const feed = env.JOB_FEED.getByName(feedName(product, jobId));
    const key = (n: number) => `${product}/${jobId}/operator/up_${n}/log.txt`;
    const pointer = (n: number) => ({
      jobId,
      name: "log.txt",
      r2Key: key(n),
      size: 2,
      contentType: "text/plain",
      sha256: "0".repeat(64),
      createdAt: Date.now(),
      uploadedBy: "operator",
    });
    // Two uploads committed, the second replacing the first, and no sweep after (the request died there)…
    for (const n of [1, 2]) {
      await feed.intendUpload(product, jobId, { r2Key: key(n), name: "log.txt", size: 2, settledAt: null });
      await env.ARTIFACTS.put(key(n), `v${n}`);
      expect(await feed.putArtifact(pointer(n), null)).toMatchObject({ ok: true });
    }
    // …and a third whose request died while its bytes streamed: an intent, bytes, no commit.
    await feed.intendUpload(product, jobId, { r2Key: key(3), name: "log.txt", size: 2, settledAt: null });
    await env.ARTIFACTS.put(key(3), "v3");
    expect(await feedRows(product, jobId)).toEqual({ intents: 1, doomed: 1 });

    // The intent outlives its time (set by SQL, not slept): the alarm armed for it gives it up.
    await runInDurableObject(feed, (_i, state) => {
      state.storage.sql.exec("UPDATE upload_intents SET at = ?", Date.now() - UPLOAD_INTENT_TTL_MS - 1);
    });
    expect(await runDurableObjectAlarm(feed)).toBe(true);
    expect(await r2Keys(product, jobId)).toEqual([key(2)]);
    expect(await feedRows(product, jobId)).toEqual({ intents: 0, doomed: 0 });
    // A commit arriving after its upload was given up is refused: its bytes are gone.
    expect(await feed.putArtifact(pointer(3), null)).toMatchObject({ ok: false, error: { code: "conflict" } });
    expect((await feed.getArtifact("log.txt"))?.r2Key).toBe(key(2));
  });
});

describe("a download racing a re-upload", () => {
  it("serves the new bytes when the ones it looked up were replaced and deleted before it read them", async () => {
    const product = "art-download-race";
    const job = await submit(product, { title: "x" });
    expect(await upload(product, job.id, "log.txt", "old")).toBe(201);
    // The download has read the old pointer; before it reads R2, a re-upload commits and deletes those bytes.
    const bucket = env.ARTIFACTS as R2Bucket & { get: R2Bucket["get"] };
    const realGet = bucket.get;
    let raced = false;
    bucket.get = (async (key: string, options?: R2GetOptions) => {
      if (!raced) {
        raced = true;
        expect(await upload(product, job.id, "log.txt", "new")).toBe(201);
      }
      return realGet.call(bucket, key, options);
    }) as R2Bucket["get"];
    try {
      expect(await download(product, job.id, "log.txt")).toEqual({ status: 200, text: "new" });
    } finally {
      bucket.get = realGet;
    }
    expect(raced).toBe(true);
  });
});
