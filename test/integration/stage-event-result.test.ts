// A job's `job.stage` feed event carries the result of the move it records, and only that (workerd, the real
// coordinator and feed): a run's end (building → failed / testing), the retry of that failure (failed → queued), the
// dead letter its last attempt made (failed → dead_letter) and a cancel's why (→ cancelled) say theirs; attempt 2's
// `queued → assigned → building` and a `testing → shipped` carry none — they had carried the job's last result, so
// the dashboard's timeline showed "failure: engine exited with code 1: boom" on attempt 2's start.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, P, submit, until } from "./client";

type StageData = { from: string; to: string; attempt: number; result?: { outcome: string; message?: string } };

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

async function report(product: string, token: string, jobId: string, json: Record<string, unknown>) {
  const r = await api<{ stage: string }>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json });
  expect(r.status).toBe(200);
  return r.body;
}

/** The job's stage moves as `from → to #attempt: result` (none: "—"), once `count` are in its feed. */
async function stageMoves(product: string, jobId: string, count: number): Promise<string[]> {
  const read = async () => {
    const r = await api<{ events: Array<{ type: string; data: StageData }> }>(
      "GET",
      `${P(product)}/jobs/${jobId}/events?after=0&limit=500`,
      { token: ADMIN },
    );
    return r.body.events.filter((e) => e.type === "job.stage").map((e) => e.data);
  };
  const moves = await until(read, (m) => m.length >= count, { what: `${count} stage moves of ${jobId}` });
  return moves.map((d) => {
    const result = d.result ? `${d.result.outcome} ${d.result.message ?? ""}`.trim() : "—";
    return `${d.from} → ${d.to} #${d.attempt}: ${result}`;
  });
}

describe("a job.stage event's result", () => {
  it("is the move's own: a retried attempt's start and a ship carry none", async () => {
    const product = "stage-result";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "flaky once", maxAttempts: 2 });
    const first = await claim(product, f.token);
    const epoch1 = first.body.lease.leaseEpoch;
    await report(product, f.token, job.id, { leaseEpoch: epoch1, stage: "building" });
    const failed = { outcome: "failure", rc: 1, message: "engine exited with code 1: boom" };
    expect(
      (await report(product, f.token, job.id, { leaseEpoch: epoch1, stage: "failed", result: failed })).stage,
    ).toBe("queued");
    await backoffOver(product, job.id);
    const second = await claim(product, f.token);
    expect(second.body.job.attempt).toBe(2);
    const epoch2 = second.body.lease.leaseEpoch;
    await report(product, f.token, job.id, { leaseEpoch: epoch2, stage: "building" });
    const ok = { outcome: "success", rc: 0, message: "all green" };
    await report(product, f.token, job.id, { leaseEpoch: epoch2, stage: "testing", result: ok });
    const ship = await api("POST", `${P(product)}/jobs/${job.id}/actions/ship`, { token: ADMIN, json: {} });
    expect(ship.status).toBe(200);
    expect(await stageMoves(product, job.id, 8)).toEqual([
      "queued → assigned #1: —",
      "assigned → building #1: —",
      "building → failed #1: failure engine exited with code 1: boom",
      "failed → queued #1: failure engine exited with code 1: boom",
      "queued → assigned #2: —",
      "assigned → building #2: —",
      "building → testing #2: success all green",
      "testing → shipped #2: —",
    ]);
  });

  it("says the failure that dead-lettered a job, and a cancel's why", async () => {
    const product = "stage-result-ends";
    const f = await enroll(product, "f");
    const once = await submit(product, { title: "fails for good", maxAttempts: 1 });
    const c = await claim(product, f.token);
    const failed = { outcome: "failure", rc: 1, message: "boom" };
    await report(product, f.token, once.id, { leaseEpoch: c.body.lease.leaseEpoch, stage: "failed", result: failed });
    expect((await stageMoves(product, once.id, 3)).slice(1)).toEqual([
      "assigned → failed #1: failure boom",
      "failed → dead_letter #1: failure boom",
    ]);
    // A job whose last run failed for good (an operator's requeue, then a cancel): the cancel says why, not "boom".
    const permanent = await submit(product, { title: "fails, then cancelled" });
    const d = await claim(product, f.token);
    const stop = { outcome: "failure", rc: 1, retryable: false, message: "boom" };
    await report(product, f.token, permanent.id, {
      leaseEpoch: d.body.lease.leaseEpoch,
      stage: "failed",
      result: stop,
    });
    const requeue = await api("POST", `${P(product)}/jobs/${permanent.id}/actions/requeue`, { token: ADMIN, json: {} });
    expect(requeue.status).toBe(200);
    const cancel = await api("POST", `${P(product)}/jobs/${permanent.id}/actions/cancel`, { token: ADMIN, json: {} });
    expect(cancel.status).toBe(200);
    expect((await stageMoves(product, permanent.id, 4)).slice(1)).toEqual([
      "assigned → failed #1: failure boom",
      "failed → queued #0: —",
      "queued → cancelled #0: cancelled cancelled by admin",
    ]);
  });
});
