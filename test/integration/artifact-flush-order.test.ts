// An artifact's commit goes after every event its job held before it: when the job's feed cannot take them (the
// reader's flush cut short: outbox/shipper `flushFeed`), the commit is refused 503 unavailable — the uploader sends
// again, its bytes deleted — and no pointer is stored, where its artifact.added went before the older events for
// good. Sent again once the feed takes them: 201, its event after all of them.
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

async function upload(product: string, jobId: string, token: string, epoch: number) {
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(
    `http://gf.test${P(product)}/jobs/${jobId}/artifacts?name=out.txt&leaseEpoch=${epoch}`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/plain", "content-length": "5" },
      body: "hello",
    },
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
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
