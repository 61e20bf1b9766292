// Retries in workerd (SPEC §6, issue 8 item 5): a transient failure is queued again after the product's backoff
// (settings.retry: base·2^(attempt−1), capped, jittered down by at most `jitter`), a permanent one (`retryable:
// false`) is not retried, the last allowed attempt goes to dead_letter, an operator (never a viewer) requeues a dead
// letter with its attempts reset (audited), a jittered retry's `notBefore` is a whole-ms epoch as the API's
// schema says, and a delayed retry is pushed to a connected factory by the alarm once due.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { JobSchema } from "../../src/shared/api-responses.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit, until } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";

type JobBody = { stage: string; attempt: number; notBefore?: number; lastResult?: { outcome: string } };

/** Let a queued job's retry backoff end now (column and document, as the store keeps them): time as a parameter. */
async function backoffOver(product: string, jobId: string): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_instance, state) => {
    const at = Date.now() - 1;
    state.storage.sql.exec(
      "UPDATE jobs SET not_before = ?1, doc = json_set(doc, '$.notBefore', ?1) WHERE id = ?2",
      at,
      jobId,
    );
  });
}

async function fail(product: string, token: string, jobId: string, epoch: number, result: Record<string, unknown>) {
  return api<JobBody>("PATCH", `${P(product)}/jobs/${jobId}`, {
    token,
    json: { leaseEpoch: epoch, stage: "failed", result },
  });
}

describe("automatic retries", () => {
  it("wait base·2^(attempt−1) per the product's settings, capped at max", async () => {
    const product = "retry-backoff";
    const settings = { retry: { baseSeconds: 100, maxSeconds: 300, jitter: 0 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "flaky", maxAttempts: 5 });
    for (const [attempt, delay] of [
      [1, 100_000],
      [2, 200_000],
      [3, 300_000], // 400 s capped at 300 s
    ] as const) {
      const c = await claim(product, f.token);
      expect(c.body.job.attempt).toBe(attempt);
      const before = Date.now();
      const r = await fail(product, f.token, job.id, c.body.lease.leaseEpoch, { outcome: "failure", rc: 1 });
      const after = Date.now();
      expect(r.body.stage).toBe("queued");
      expect(r.body.notBefore).toBeGreaterThanOrEqual(before + delay);
      expect(r.body.notBefore).toBeLessThanOrEqual(after + delay);
      expect((await claim(product, f.token)).status).toBe(204); // not before its backoff ends
      await backoffOver(product, job.id);
    }
  });

  it("jitter draws each delay from [(1 − jitter)·d, d]", async () => {
    const product = "retry-jitter";
    const settings = { retry: { baseSeconds: 1000, maxSeconds: 1000, jitter: 0.5 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "flaky" });
    const c = await claim(product, f.token);
    const before = Date.now();
    const r = await fail(product, f.token, job.id, c.body.lease.leaseEpoch, { outcome: "timeout" });
    const after = Date.now();
    expect(r.body.stage).toBe("queued");
    expect(r.body.notBefore).toBeGreaterThanOrEqual(before + 500_000);
    expect(r.body.notBefore).toBeLessThanOrEqual(after + 1_000_000);
    // An ms epoch is an integer (shared/api-responses `ms`, the OpenAPI document): a jittered draw is whole ms.
    expect(JobSchema.safeParse(r.body).error).toBeUndefined();
    const read = await api<JobBody & { waitingReason: { detail: { until: number } } }>(
      "GET",
      `${P(product)}/jobs/${job.id}`,
      { token: ADMIN },
    );
    expect(Number.isInteger(read.body.waitingReason.detail.until)).toBe(true);
  });

  it("never retry a permanent failure (retryable: false): it stays failed for an operator", async () => {
    const product = "retry-permanent";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "bad repo", maxAttempts: 5 });
    const c = await claim(product, f.token);
    const r = await fail(product, f.token, job.id, c.body.lease.leaseEpoch, {
      outcome: "failure",
      message: "repository not found",
      retryable: false,
    });
    expect(r.body).toMatchObject({ stage: "failed", attempt: 1, lastResult: { outcome: "failure" } });
    expect(r.body.notBefore).toBeUndefined();
    expect((await claim(product, f.token)).status).toBe(204);
  });

  it("send the job to dead_letter once its last allowed attempt fails", async () => {
    const product = "retry-exhausted";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "hopeless", maxAttempts: 2 });
    for (const attempt of [1, 2]) {
      const c = await claim(product, f.token);
      expect(c.body.job.attempt).toBe(attempt);
      const r = await fail(product, f.token, job.id, c.body.lease.leaseEpoch, { outcome: "failure", rc: 1 });
      expect(r.body.stage).toBe(attempt === 2 ? "dead_letter" : "queued");
      if (attempt === 1) await backoffOver(product, job.id);
    }
    expect((await getJob(product, job.id)).stage).toBe("dead_letter");
  });
});

describe("requeue of a dead letter", () => {
  it("works for an operator (attempts reset, audited) and is refused to a viewer", async () => {
    const product = "retry-requeue-dead";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "revived", maxAttempts: 1 });
    const c = await claim(product, f.token);
    await fail(product, f.token, job.id, c.body.lease.leaseEpoch, { outcome: "failure", rc: 1 });
    expect((await getJob(product, job.id)).stage).toBe("dead_letter");
    const tokens: Record<string, string> = {};
    for (const role of ["viewer", "operator"] as const) {
      const t = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
        token: ADMIN,
        json: { role, name: role },
      });
      tokens[role] = t.body.token;
    }
    const refused = await api<{ code: string }>("POST", `${P(product)}/jobs/${job.id}/actions/requeue`, {
      token: tokens.viewer,
      json: {},
    });
    expect(refused.status).toBe(403);
    expect(await getJob(product, job.id)).toMatchObject({ stage: "dead_letter", attempt: 1 });

    const r = await api<JobBody>("POST", `${P(product)}/jobs/${job.id}/actions/requeue`, {
      token: tokens.operator,
      json: {},
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ stage: "queued", attempt: 0 });
    expect(r.body.notBefore).toBeUndefined();
    const again = await claim(product, f.token);
    expect(again.body.job).toMatchObject({ id: job.id, attempt: 1 });

    type Audit = { items: Array<{ action: string; actor: string; target: string; detail: Record<string, unknown> }> };
    const audit = await until(
      () => api<Audit>("GET", `${P(product)}/history?kind=audit`, { token: ADMIN }),
      (a) => a.body.items?.some((i) => i.action === "job.requeue"),
    );
    expect(audit.body.items.find((i) => i.action === "job.requeue")).toMatchObject({
      actor: "operator:operator",
      target: job.id,
      detail: { from: "dead_letter", to: "queued" },
    });
  });

  it("leaves shipped and cancelled jobs terminal: requeue is refused with 409", async () => {
    const product = "retry-requeue-terminal";
    const job = await submit(product, { title: "gone" });
    expect((await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} })).status).toBe(
      200,
    );
    const r = await api<{ code: string }>("POST", `${P(product)}/jobs/${job.id}/actions/requeue`, {
      token: ADMIN,
      json: {},
    });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("illegal_transition");
  });
});

describe("a delayed retry", () => {
  it("is pushed to a connected factory by the alarm once its backoff ends, not before", async () => {
    const product = "retry-alarm";
    const settings = { retry: { baseSeconds: 1, maxSeconds: 1, jitter: 0 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "flaky" });
    const first = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    socket.send({
      type: "fail",
      id: "f1",
      jobId: job.id,
      leaseEpoch: first.leaseEpoch,
      result: { outcome: "failure" },
    });
    expect(await socket.next<{ result: { stage: string } }>("ack")).toMatchObject({ result: { stage: "queued" } });
    const queued = (await getJob(product, job.id)) as unknown as JobBody;
    expect(queued.notBefore).toBeGreaterThan(Date.now() - 1000);
    // The alarm is armed no later than the backoff's end: nothing else would move this queue.
    const alarm = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm as number).toBeLessThanOrEqual(queued.notBefore!);
    // Wait for the state (the push), never a fixed delay: the alarm's pass assigns it to the idle factory.
    const second = (await socket.next<AssignFrame>("assign", 15_000)).assignments[0]!;
    expect(second.job).toMatchObject({ id: job.id, attempt: 2 });
    const grantedAt = second.expiresAt - second.ttlSeconds * 1000;
    expect(grantedAt).toBeGreaterThanOrEqual(queued.notBefore!);
    socket.close();
  });
});
