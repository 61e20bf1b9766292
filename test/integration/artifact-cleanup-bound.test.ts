// The artifact route waits for its clean-up calls to the job's feed only within their bound
// (worker/routes/artifacts-cleanup): an upload whose commit failed is answered its refusal even while the feed holds the route's
// `abandonUpload` — as a stuck or overloaded feed object holds it — and the feed gives the upload up by itself once
// free (the late pointer call refused, its intent gone). The route awaited `abandonUpload` with no bound: the
// uploader's request hung as long as the feed did. The bounds are set short here (their values are no claim, their
// existence is); the test releases the feed, never waits for time.
import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { JobFeed } from "../../src/durable-objects/job-feed.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { CLEANUP_BOUND } from "../../src/worker/routes/artifacts-cleanup.ts";
import { ADMIN, P, submit, until } from "./client.ts";
import { answered, held } from "./outbox-outage-window.ts";

const worker = () => (exports as unknown as { default: Fetcher }).default;
const CLEANUP_MS = CLEANUP_BOUND.ms;

afterEach(() => {
  CLEANUP_BOUND.ms = CLEANUP_MS;
});

/**
 * The next call of JobFeed method `name` waits in the feed until the returned release is called, then runs as it
 * would have; `called()` says whether it was made. Restored after that one call.
 */
function holdNext(name: "putArtifact" | "abandonUpload"): { release: () => void; called: () => boolean } {
  let release!: () => void;
  let made = false;
  const released = new Promise<void>((r) => {
    release = r;
  });
  const proto = JobFeed.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const real = proto[name]!;
  proto[name] = async function (this: JobFeed, ...args: unknown[]) {
    proto[name] = real;
    made = true;
    await released;
    return real.apply(this, args);
  };
  return { release, called: () => made };
}

const intents = (product: string, jobId: string) =>
  runInDurableObject(
    env.JOB_FEED.getByName(feedName(product, jobId)),
    (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM upload_intents").one().n,
  );

describe("an upload whose commit failed while its feed holds the route's abandonUpload", () => {
  it("is answered its refusal within the bound; the feed gives the upload up once free", async () => {
    const product = "art-cleanup-held";
    const job = await submit(product, { title: "x" });
    // The commit's own bound short, so that a held pointer call fails the commit (503) and the route abandons.
    await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
      (instance as unknown as { commitFeedMs: number }).commitFeedMs = 300;
      await until(
        async () => held(state.storage.sql, job.id),
        (n) => n === 0,
        { what: `${job.id}'s events shipped` },
      );
    });
    CLEANUP_BOUND.ms = 300;
    const put = holdNext("putArtifact");
    const abandon = holdNext("abandonUpload");
    let answer: { status: number; body: { code?: string } } | undefined;
    try {
      const res = worker()
        .fetch(`http://gf.test${P(product)}/jobs/${job.id}/artifacts?name=log.txt`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN}`, "content-length": "5", "content-type": "text/plain" },
          body: "bytes",
        })
        .then(async (r) => ({ status: r.status, body: (await r.json()) as { code?: string } }));
      answer = await until(answered(res), (v) => v !== undefined, {
        what: "the upload answered, its feed holding abandonUpload",
        ms: 10_000,
      });
      expect(abandon.called()).toBe(true); // the route did give the upload up: its call is what is held
    } finally {
      put.release();
      abandon.release();
    }
    expect(answer).toMatchObject({ status: 503, body: { code: "unavailable" } });
    // The pointer's call, delivered now, finds itself late: refused, the upload given up by the feed itself.
    expect(
      await until(
        () => intents(product, job.id),
        (n) => n === 0,
        { what: "the upload given up" },
      ),
    ).toBe(0);
  });
});
