// A retention purge whose artifacts' bytes R2 refuses to delete is not done: the cron run fails naming the product
// until R2 takes them (the log is forgotten, the doomed keys kept and retried by the next pass), the rest of the
// product is purged all the same, and the feed's own alarm retries backed off — a minute, doubling with each refusal
// in a row — not once a minute for ever.
//
// The purge had answered as done: the watermark passed the job, every cron run was reported a success, and only the
// feed's alarm knew the bytes were still in R2, retrying them once a minute for ever.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DOOMED_RETRY_MAX_MS } from "../../src/durable-objects/feed/upload-intents.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import type { JobEvent } from "../../src/shared/protocol.ts";
import { cronSweep } from "../../src/worker/reaper.ts";
import { ADMIN, api, eventsOf, P, submit } from "./client.ts";
import { alarmIn, refuseDeletes } from "./feed-r2.ts";
import { feedPointer } from "./state.ts";

const DAY = 86_400_000;

describe("a cron run meeting a feed whose artifacts' bytes R2 refuses to delete", () => {
  it("fails naming the product until R2 takes them; the rest is purged, and the keys are kept meanwhile", async () => {
    const product = "retention-bytes-refused";
    const stuck = await submit(product, { title: "its bytes will not go" });
    const next = await submit(product, { title: "behind it" });
    const up = await api("POST", `${P(product)}/jobs/${stuck.id}/artifacts?name=log.txt`, { token: ADMIN, text: "x" });
    expect(up.status).toBe(201);
    for (const id of [stuck.id, next.id]) {
      const cancel = await api("POST", `${P(product)}/jobs/${id}/actions/cancel`, { token: ADMIN, json: {} });
      expect(cancel.status).toBe(200);
    }
    await eventsOf(product, stuck.id, 4); // submitted, artifact.added, job.action, job.stage
    await eventsOf(product, next.id, 3);
    const feed = env.JOB_FEED.getByName(feedName(product, stuck.id));
    const r2Key = (await feed.getArtifact("log.txt"))?.r2Key ?? "missing pointer";
    const later = Date.now() + 31 * DAY;
    const restore = await refuseDeletes(feed);
    try {
      for (let pass = 0; pass < 2; pass++) await expect(cronSweep(env, later)).rejects.toThrow(product);
      const pass = await env.COORDINATOR.getByName(product).prune(product, later);
      expect(pass).toMatchObject({ ok: false, error: { code: "unavailable", details: { failedJobs: [stuck.id] } } });
      const log = (id: string) => env.JOB_FEED.getByName(feedName(product, id)).list(0, 100);
      expect(((await log(next.id)) as { events: JobEvent[] }).events).toEqual([]); // the rest is purged
      expect(((await log(stuck.id)) as { events: JobEvent[] }).events).toEqual([]); // its log too: only bytes wait
      expect(await env.ARTIFACTS.head(r2Key)).not.toBeNull();
    } finally {
      await restore();
    }
    expect(await cronSweep(env, later)).toMatchObject({ failed: 0 });
    expect(await env.ARTIFACTS.head(r2Key)).toBeNull();
    // Both purged now: the watermark is past them.
    expect(await env.COORDINATOR.getByName(product).prune(product, later)).toMatchObject({
      ok: true,
      value: { feeds: 0 },
    });
  });
});

describe("a feed whose doomed bytes R2 keeps refusing", () => {
  it("answers its purge with the keys left, and its alarm backs off with each refusal, to at most an hour", async () => {
    const product = "purge-bytes-backoff";
    const jobId = "job_backoff";
    const feed = env.JOB_FEED.getByName(feedName(product, jobId));
    const r2Key = `${product}/${jobId}/operator/up_1/log.txt`;
    await env.ARTIFACTS.put(r2Key, "bytes");
    await feed.intendUpload(product, jobId, { r2Key, name: "log.txt", size: 5, settledAt: null });
    await feed.putArtifact(feedPointer(jobId, "log.txt", r2Key), null);
    const restore = await refuseDeletes(feed);
    const delays: number[] = [];
    try {
      const purged = await feed.purge(Number.MAX_SAFE_INTEGER);
      expect(purged).toMatchObject({ artifacts: 1, bytesLeft: 1, bytesError: expect.stringMatching(/R2 refused/) });
      for (let i = 0; i < 8; i++) {
        expect(await runDurableObjectAlarm(feed)).toBe(true); // the sweep: refused again, the alarm re-armed
        delays.push((await alarmIn(feed)) ?? 0);
      }
    } finally {
      await restore();
    }
    // Doubling (2 min after the second refusal in a row, then 4, 8 …), then held at the cap.
    expect(delays[1]! - delays[0]!).toBeGreaterThan(60_000);
    expect(delays[2]! - delays[1]!).toBeGreaterThan(120_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(DOOMED_RETRY_MAX_MS);
    expect(delays.at(-1)!).toBeGreaterThan(DOOMED_RETRY_MAX_MS - 60_000);
    expect(await env.ARTIFACTS.head(r2Key)).not.toBeNull(); // kept while refused
    expect(await runDurableObjectAlarm(feed)).toBe(true);
    expect(await env.ARTIFACTS.head(r2Key)).toBeNull();
  });
});
