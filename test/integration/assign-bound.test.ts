// A job too large for a factory frame (its JSON past MAX_ASSIGNED_JOB_BYTES: a body of control characters escapes to six bytes each) is ended `failed` at dispatch, not retried, the reason in its result — never pushed in an `assign` the agent refuses (its socket closed, on every reconnect) — and the next job is still pushed; the HTTP claim ends it the same way.
import { describe, expect, it } from "vitest";
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

async function submitHuge(product: string): Promise<string> {
  const r = await api<{ id: string }>("POST", `${P(product)}/jobs`, {
    token: ADMIN,
    text: `---\ntitle: escapes\npriority: critical\n---\n${hugeBody}\n`,
    headers: { "content-type": "text/markdown" },
  });
  expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201);
  return r.body.id;
}

describe("outgoing frame bound", () => {
  it("holds one assignment per seat within the largest frame the agent accepts", () => {
    expect(MAX_ASSIGNMENT_BYTES * MAX_SEATS).toBeLessThanOrEqual(MAX_SERVER_FRAME_BYTES);
    expect(MAX_ASSIGNED_JOB_BYTES).toBeLessThan(MAX_ASSIGNMENT_BYTES);
  });

  it("ends a job whose assignment no frame may carry, failed and not retried, and pushes the next one", async () => {
    const product = "assign-bound-push";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const big = await submitHuge(product);
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
    const big = await submitHuge(product);
    const small = await submit(product, { title: "small", priority: "low" });
    const got = await claim(product, f.token);
    expect(got.body.job.id).toBe(small.id);
    expect(await getJob(product, big)).toMatchObject({ stage: "failed", lastResult: { retryable: false } });
  });
});
