// What must not go on without a job's held events, when its feed cannot take them (the reader's flush cut short:
// outbox/shipper `flushFeed`), is refused 503 unavailable and changes nothing: an artifact's commit (its bytes
// deleted, no pointer; its artifact.added went before the older events for good), an artifact's deletion, and a
// REST page of the events (its lastSeq read as the log's end: a watch of an ended job stopped short). Sent again
// once the feed takes them: each goes through, after all of them. A live stream still opens: the rest reaches it.
// Each refusal is problem+json with Retry-After: 1 (the header, not the body alone: worker/problem `retryAfterOf`).
import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, eventsOf, P, submit } from "./client.ts";
import { holdAlarm } from "./state.ts";

type Shipping = { outbox: { env: Env } };

/** The coordinator's outbox shipper calls the job feeds through `to` (the real env when undefined). */
async function feedsOfShipper(product: string, to: "failing" | "real") {
  await runInDurableObject(env.COORDINATOR.getByName(product), (instance) => {
    (instance as unknown as Shipping).outbox.env =
      to === "real"
        ? env
        : ({
            ...env,
            JOB_FEED: { getByName: () => ({ append: () => Promise.reject(new Error("Durable Object reset")) }) },
          } as unknown as Env);
  });
}

/** How many of `jobId`'s events the coordinator's outbox still holds. */
const heldOf = (product: string, jobId: string) =>
  runInDurableObject(
    env.COORDINATOR.getByName(product),
    (_i, state) =>
      state.storage.sql
        .exec<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE kind = 'event' AND job_id = ?", jobId)
        .one().n,
  );

async function upload(product: string, jobId: string, token: string, epoch: number) {
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(
    `http://gf.test${P(product)}/jobs/${jobId}/artifacts?name=out.txt&leaseEpoch=${epoch}`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/plain", "content-length": "5" },
      body: "hello",
    },
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe("an artifact commit while its job's held events cannot reach the feed", () => {
  it("is refused 503 and stores nothing; sent again, its event comes after every older one", async () => {
    const product = "artifact-flush";
    const release = await holdAlarm(product); // nothing ships the held events but the commit's own flush
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "x" });
    const epoch = (await claim(product, f.token)).body.lease.leaseEpoch;
    await feedsOfShipper(product, "failing");
    const refused = await upload(product, job.id, f.token, epoch);
    await feedsOfShipper(product, "real");
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: "unavailable", type: expect.any(String), title: expect.any(String) });
    expect(refused.headers.get("retry-after")).toBe("1"); // as its body's retryAfterSeconds: when to send again
    const listed = await api<{ artifacts: unknown[] }>("GET", `${P(product)}/jobs/${job.id}/artifacts`, {
      token: ADMIN,
    });
    expect(listed.body.artifacts).toEqual([]);
    expect((await upload(product, job.id, f.token, epoch)).status).toBe(201);
    const events = await eventsOf(product, job.id, 3);
    expect(events.map((e) => e.type).filter((t) => t === "artifact.added")).toHaveLength(1);
    expect(events.at(-1)?.type).toBe("artifact.added");
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    await release();
  });
});

describe("reads and deletions while a job's held events cannot reach the feed", () => {
  it("a REST page and an artifact's deletion are refused 503; a stream opens; sent again, each sees them all", async () => {
    const product = "flush-cut-read";
    const release = await holdAlarm(product);
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "x" });
    const epoch = (await claim(product, f.token)).body.lease.leaseEpoch;
    expect((await upload(product, job.id, f.token, epoch)).status).toBe(201);
    await feedsOfShipper(product, "failing"); // before the events: the delivery loop cannot ship them either
    // Events held after the commit's flush: the job's move to building, with a note.
    const moved = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: f.token,
      json: { leaseEpoch: epoch, stage: "building", progress: { note: "started" } },
    });
    expect(moved.status).toBe(200);
    expect(await heldOf(product, job.id)).toBeGreaterThan(0);
    const page = await api("GET", `${P(product)}/jobs/${job.id}/events`, { token: ADMIN });
    const removal = await api("DELETE", `${P(product)}/jobs/${job.id}/artifacts/out.txt`, { token: ADMIN });
    const stream = await (exports as unknown as { default: Fetcher }).default.fetch(
      `http://gf.test${P(product)}/jobs/${job.id}/events/stream`,
      { headers: { authorization: `Bearer ${ADMIN}` } },
    );
    await feedsOfShipper(product, "real");
    expect([page.status, removal.status]).toEqual([503, 503]);
    expect(page.body).toMatchObject({ code: "unavailable" });
    for (const r of [page, removal]) {
      expect([r.headers.get("content-type"), r.headers.get("retry-after")]).toEqual(["application/problem+json", "1"]);
    }
    expect(stream.status).toBe(200);
    await stream.body?.cancel();
    const listed = await api<{ artifacts: unknown[] }>("GET", `${P(product)}/jobs/${job.id}/artifacts`, {
      token: ADMIN,
    });
    expect(listed.body.artifacts).toHaveLength(1); // the refused deletion removed nothing
    const read = await api<{ events: Array<{ type: string }>; lastSeq: number }>(
      "GET",
      `${P(product)}/jobs/${job.id}/events`,
      { token: ADMIN },
    );
    expect(await heldOf(product, job.id)).toBe(0);
    expect(read.body.lastSeq).toBe(read.body.events.length);
    expect(read.body.events.map((e) => e.type)).toContain("artifact.added");
    expect((await api("DELETE", `${P(product)}/jobs/${job.id}/artifacts/out.txt`, { token: ADMIN })).status).toBe(200);
    await release();
  });
});
