// A job too large for a factory frame (its JSON past MAX_ASSIGNED_JOB_BYTES: a body of control characters escapes to six bytes each) is refused at submit with 413 payload_too_large naming its size and the limit, nothing created — by POST …/jobs and by the bulk consumer's submission alike; one stored before that refusal is ended `failed` at dispatch, not retried, never pushed in an `assign` the agent refuses, and the next job is still pushed; the HTTP claim ends it the same way.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { unwrap } from "../../src/core/errors.ts";
import { validateManifest } from "../../src/core/manifest.ts";
import {
  MAX_ASSIGNED_JOB_BYTES,
  MAX_ASSIGNMENT_BYTES,
  MAX_SEATS,
  MAX_SERVER_FRAME_BYTES,
} from "../../src/shared/protocol.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit, until } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";

/** 200,000 bytes as submitted (within the 256 KiB manifest bound), 1.2 MB as JSON. */
const hugeBody = "\u0001".repeat(200_000);

async function listed(product: string): Promise<string[]> {
  const r = await api<{ jobs: Array<{ title: string }> }>("GET", `${P(product)}/jobs`, { token: ADMIN });
  return r.body.jobs.map((j) => j.title);
}

/** A job as one stored before submit refused such bodies: submitted small, its stored document then given the huge body. */
async function storedHuge(product: string): Promise<string> {
  const job = await submit(product, { title: "escapes", priority: "critical" });
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec("UPDATE jobs SET doc = json_set(doc, '$.bodyMd', ?) WHERE id = ?", hugeBody, job.id);
  });
  return job.id;
}

describe("outgoing frame bound", () => {
  it("holds one assignment per seat within the largest frame the agent accepts", () => {
    expect(MAX_ASSIGNMENT_BYTES * MAX_SEATS).toBeLessThanOrEqual(MAX_SERVER_FRAME_BYTES);
    expect(MAX_ASSIGNED_JOB_BYTES).toBeLessThan(MAX_ASSIGNMENT_BYTES);
  });

  it("refuses such a job at POST …/jobs with 413 naming its size, the limit and the fix, and creates nothing", async () => {
    const product = "assign-bound-submit";
    const r = await api<{ code: string; detail: string; size: number; limit: number }>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      text: `---\ntitle: escapes\nidempotencyKey: huge-1\n---\n${hugeBody}\n`,
      headers: { "content-type": "text/markdown" },
    });
    expect(r.status).toBe(413);
    expect(r.body.code).toBe("payload_too_large");
    expect(r.body.detail).toMatch(/the job would be \d+ bytes of JSON/);
    expect(r.body.detail).toContain(`over the ${MAX_ASSIGNED_JOB_BYTES} bytes one assignment may carry`);
    expect(r.body.detail).toContain("shorten its body");
    expect(r.body.limit).toBe(MAX_ASSIGNED_JOB_BYTES);
    expect(r.body.size).toBeGreaterThan(MAX_ASSIGNED_JOB_BYTES);
    expect(await listed(product)).toEqual([]);
    // The key was not stored: the same key with a short body makes the job.
    const ok = await api("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      text: "---\ntitle: short\nidempotencyKey: huge-1\n---\nok\n",
      headers: { "content-type": "text/markdown" },
    });
    expect(ok.status).toBe(201);
  });

  it("refuses it as one bulk item, by its own code, while the batch's other item is created", async () => {
    const product = "assign-bound-bulk";
    await submit(product, { title: "first" });
    const inputs = [
      { manifest: validateManifest({ title: "huge", idempotencyKey: "bulk-huge" }), bodyMd: hugeBody },
      { manifest: validateManifest({ title: "fine", idempotencyKey: "bulk-fine" }), bodyMd: "ok" },
    ];
    const stub = env.COORDINATOR.getByName(product);
    // The queue consumer's call (queues/consumers): the Worker's own per-item bound keeps such items off the queue,
    // so the coordinator is asked directly, as a message queued before that bound would be delivered.
    const results = await unwrap(stub.submitMany(product, inputs, "test"));
    expect(results[0]).toMatchObject({ ok: false, code: "payload_too_large", key: "bulk-huge" });
    expect(results[1]).toMatchObject({ ok: true, created: true });
    expect((await listed(product)).sort()).toEqual(["fine", "first"]);
  });

  it("refuses a bulk item with that body at jobs:batch, 413 for that item alone", async () => {
    const product = "assign-bound-batch";
    const r = await api<{ items: unknown[]; rejected: Array<{ index: number; status: number; code: string }> }>(
      "POST",
      `${P(product)}/jobs:batch`,
      { token: ADMIN, json: { items: [{ markdown: `---\ntitle: escapes\n---\n${hugeBody.slice(0, 60_000)}\n` }] } },
    );
    expect(r.body.rejected).toMatchObject([{ index: 0, status: 413, code: "payload_too_large" }]);
    expect(await listed(product)).toEqual([]);
  });

  it("ends a stored job whose assignment no frame may carry, failed and not retried, and pushes the next one", async () => {
    const product = "assign-bound-push";
    const f = await enroll(product, "f");
    const big = await storedHuge(product);
    const { socket } = await connectFactory(product, f.token);
    const small = await submit(product, { title: "small", priority: "low" });
    const assign = await socket.next<AssignFrame>("assign");
    expect(assign.assignments.map((a) => a.job.id)).toEqual([small.id]);
    const ended = await until(
      () => getJob(product, big),
      (j) => j.stage === "failed",
    );
    expect(ended.lastResult).toMatchObject({
      outcome: "failure",
      retryable: false,
      message: expect.stringContaining(`over the ${MAX_ASSIGNED_JOB_BYTES} bytes one assignment may carry`),
    });
    expect(socket.closed).toBeUndefined();
    expect(socket.arrivals.filter((t) => t === "assign")).toHaveLength(1);
    socket.close();
  });

  it("ends it the same way at an HTTP claim, which then answers the next job", async () => {
    const product = "assign-bound-claim";
    const f = await enroll(product, "f");
    const big = await storedHuge(product);
    const small = await submit(product, { title: "small", priority: "low" });
    const got = await claim(product, f.token);
    expect(got.body.job.id).toBe(small.id);
    expect(await getJob(product, big)).toMatchObject({ stage: "failed", lastResult: { retryable: false } });
  });
});
