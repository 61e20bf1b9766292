// The tracker bridge (`POST …/tracker/ingest`) is idempotent by the tracker's id: the same item twice makes one
// job (the second call answers `exists` with that job), a changed item under the same id is `409 conflict` naming
// the existing job — never the old job silently — and past the 7 days other keys are kept (a job still alive then is
// never made twice; only a shipped or cancelled job's tracker key expires); every stage change of the tracked job is
// echoed to the product's webhook with `tracker: {source, id}` — also after a retention pass, and for any id the
// ingest accepts (blanks, `/`, `#`, `:` and any script in it; a control character — a newline — is refused at the
// boundary, shared/plain-text `plainName`: an id is shown in list rows and log lines).
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import type { DispatchMessage } from "../../src/worker/queues/messages.ts";
import { ADMIN, api, claim, enroll, P, until } from "./client.ts";
import { HOOK_URL, receiver } from "./webhook-receiver.ts";

let hook: ReturnType<typeof receiver> | undefined;
afterEach(() => hook?.restore());

const item = { source: "github", externalId: "org/repo#42", title: "Fix the flaky test", body: "It flakes." };

/** Delivers the dispatch message the ingest queued, as the consumer would (idempotent if it ran already). */
async function deliver(product: string, body: typeof item) {
  const message: DispatchMessage = {
    kind: "submit",
    productId: product,
    actor: "admin",
    origin: `tracker:${body.source}`,
    items: [
      {
        manifest: {
          title: body.title,
          priority: "medium",
          requires: [],
          prefers: [],
          budget: {},
          deps: [],
          depsMode: "all",
          maxAttempts: 3,
          reviewers: 0,
          onReject: "fail",
          kind: "task",
          idempotencyKey: `tracker:${body.source}:${body.externalId}`,
        },
        bodyMd: body.body,
      },
    ],
  };
  const batch = createMessageBatch("gigafactory-dispatch", [
    { id: "t1", timestamp: new Date(), attempts: 1, body: message },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch, env, ctx);
  return getQueueResult(batch, ctx);
}

async function ingest(product: string, body: unknown) {
  return api<{ status: string; jobId?: string; code?: string; idempotencyKey: string }>(
    "POST",
    `${P(product)}/tracker/ingest`,
    { token: ADMIN, json: body },
  );
}

describe("tracker ingest", () => {
  it("makes one job for the same tracker id, and answers 409 for a changed item", async () => {
    const product = "tr-idem";
    const first = await ingest(product, item);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: "queued", idempotencyKey: "tracker:github:org/repo#42" });
    expect((await deliver(product, item)).explicitAcks).toEqual(["t1"]);

    const again = await ingest(product, item);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe("exists");
    const jobId = again.body.jobId;
    expect(jobId).toBeTruthy();
    // Redelivery of the first message creates nothing either.
    await deliver(product, item);
    const list = await api<{ jobs: Array<{ id: string; idempotencyKey?: string }> }>("GET", `${P(product)}/jobs`, {
      token: ADMIN,
    });
    expect(list.body.jobs.map((j) => j.id)).toEqual([jobId]);

    const changed = await ingest(product, { ...item, body: "It flakes on Tuesdays." });
    expect(changed.status).toBe(409);
    expect(changed.headers.get("content-type")).toContain("application/problem+json");
    expect(changed.body).toMatchObject({ code: "conflict" });
    expect(JSON.stringify(changed.body)).toContain(jobId!);
    const retitled = await ingest(product, { ...item, title: "Another title" });
    expect(retitled.status).toBe(409);
  });

  it("never makes a second job for an item whose job is still live, however old its key; a cancelled one's key expires", async () => {
    const product = "tr-live-old";
    expect((await ingest(product, item)).status).toBe(202);
    await deliver(product, item);
    const jobs = async () =>
      (await api<{ jobs: Array<{ id: string }> }>("GET", `${P(product)}/jobs`, { token: ADMIN })).body.jobs;
    const [job] = await jobs();
    const coordinator = env.COORDINATOR.getByName(product);
    // Eight days on, the job still queued behind a backlog: the tracker's sync re-ingests the open item.
    expect((await coordinator.prune(product, Date.now() + 8 * 86_400_000)).ok).toBe(true);
    expect(await ingest(product, item)).toMatchObject({ status: 200, body: { status: "exists", jobId: job!.id } });
    await deliver(product, item); // a message queued before the pass, delivered after it, makes nothing either
    expect((await jobs()).map((j) => j.id)).toEqual([job!.id]);

    // Once the job can never run again (cancelled), the key expires as any other.
    const cancel = await api("POST", `${P(product)}/jobs/${job!.id}/actions/cancel`, { token: ADMIN, json: {} });
    expect(cancel.status).toBe(200);
    expect((await coordinator.prune(product, Date.now() + 8 * 86_400_000)).ok).toBe(true);
    expect(await ingest(product, item)).toMatchObject({ status: 202, body: { status: "queued" } });
  });

  it("answers 503 unavailable, not a 500, when the dispatch queue refuses the item, and a resend queues it", async () => {
    const product = "tr-queue-down";
    await ingest(product, { ...item, externalId: "warm-up" }); // the client's create-on-404 makes the product
    // An outage of one dependency (not storage): the queue refuses the send.
    const down = { ...env, DISPATCH_QUEUE: { send: () => Promise.reject(new Error("queue unavailable")) } };
    const req = new Request(`http://gf.test${P(product)}/tracker/ingest`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify(item),
    });
    const res = await worker.fetch(req, down as unknown as Env, createExecutionContext());
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await res.json()).toMatchObject({
      code: "unavailable",
      title: expect.any(String),
      type: expect.any(String),
    });
    const resend = await ingest(product, item);
    expect(resend.status).toBe(202);
    expect(resend.body.status).toBe("queued");
  });

  it("still echoes the tracker id of a job eight days old, past a retention pass, and of an odd id the ingest takes", async () => {
    const product = "tr-echo-old";
    hook = receiver();
    const put = await api("PUT", `${P(product)}/webhook`, {
      token: ADMIN,
      json: { url: HOOK_URL, secret: "tracker-secret-123" },
    });
    expect(put.status).toBe(200);
    // A newline in the id is refused (400 naming the field) and makes nothing; blanks, separators and any script pass.
    const refused = await ingest(product, { ...item, externalId: "PROJ-7\nsecond line" });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain("externalId");
    const odd = { ...item, externalId: "PROJ-7 · second line: a/b#c ✓" };
    for (const it of [item, odd]) {
      expect((await ingest(product, it)).status).toBe(202);
      await deliver(product, it);
    }
    // Eight days on, the cron's retention pass runs; the jobs are still queued (their keys kept: jobs/key-prune).
    const pruned = await env.COORDINATOR.getByName(product).prune(product, Date.now() + 8 * 86_400_000);
    expect(pruned.ok).toBe(true);
    const a = await enroll(product, "a", [], 2);
    const jobIds = [(await claim(product, a.token)).body.job.id, (await claim(product, a.token)).body.job.id];
    const assigned = await until(
      async () =>
        hook!.received.filter((r) => jobIds.includes(String(r.body.job?.id)) && r.body.job?.stage === "assigned"),
      (r) => r.length >= 2,
      20_000,
    );
    expect(assigned.map((r) => r.body.job?.tracker)).toEqual(
      expect.arrayContaining([
        { source: "github", id: "PROJ-7 · second line: a/b#c ✓" },
        { source: "github", id: "org/repo#42" },
      ]),
    );
  });

  it("echoes every stage change of the tracked job to the webhook with the tracker id", async () => {
    const product = "tr-echo";
    hook = receiver();
    const put = await api("PUT", `${P(product)}/webhook`, {
      token: ADMIN,
      json: { url: HOOK_URL, secret: "tracker-secret-123" },
    });
    expect(put.status).toBe(200);
    await ingest(product, item);
    await deliver(product, item);
    const a = await enroll(product, "a");
    const claimed = await claim(product, a.token);
    const jobId = claimed.body.job.id;
    await api("PATCH", `${P(product)}/jobs/${jobId}`, { token: a.token, json: { leaseEpoch: 1, stage: "building" } });

    const echoes = await until(
      async () => hook!.received.filter((r) => r.body.job?.id === jobId),
      (r) => new Set(r.map((x) => x.body.job?.stage)).size >= 3,
      20_000,
    );
    expect(new Set(echoes.map((x) => x.body.job?.stage))).toEqual(new Set(["queued", "assigned", "building"]));
    for (const e of echoes) expect(e.body.job?.tracker).toEqual({ source: "github", id: "org/repo#42" });
  });
});
