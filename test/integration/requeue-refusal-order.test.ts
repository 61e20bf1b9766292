// A requeue no budget raise could make legal is refused for what it is: a job that has spent its own budget and
// then was cancelled (cancelled is terminal), or finished into testing (no edge back to the queue), is refused
// `409 illegal_transition` naming its stage — not `409 budget_exceeded`, whose advice ("raise the job's budget with
// the requeue") led the operator to a second refusal, the illegal move, after raising it. Nothing changes either way.
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client.ts";

type Problem = { code?: string; detail?: string; from?: string };

/** A job of `budget.usd` 1 that has spent all of it, left in `building` at lease epoch `epoch` by factory `f`. */
async function spentJob(product: string) {
  const f = await enroll(product, "f");
  const job = await submit(product, { title: "spent", budget: { usd: 1 } });
  const { lease } = (await claim(product, f.token)).body;
  const path = `${P(product)}/jobs/${job.id}`;
  const json = { leaseEpoch: lease.leaseEpoch, stage: "building", insights: { costUsd: 1 } }; // exactly its budget
  expect((await api("PATCH", path, { token: f.token, json })).body).toMatchObject({ stage: "building" });
  return { job, f, path, epoch: lease.leaseEpoch };
}

const requeue = (product: string, id: string, json: Record<string, unknown> = {}) =>
  api<Problem>("POST", `${P(product)}/jobs/${id}/actions/requeue`, { token: ADMIN, json });

describe("a requeue from a stage with no way back is refused illegal_transition, budget spent or not", () => {
  it("a cancelled job that spent its budget", async () => {
    const product = "requeue-order-cancelled";
    const { job } = await spentJob(product);
    expect((await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN })).status).toBe(200);
    const before = await getJob(product, job.id);
    for (const body of [{}, { budgetUsd: 5 }]) {
      const r = await requeue(product, job.id, body);
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: "illegal_transition", from: "cancelled" });
      expect(r.body.detail).toContain("cancelled is terminal");
    }
    expect(await getJob(product, job.id)).toEqual(before);
  });

  it("a job in testing that spent its budget", async () => {
    const product = "requeue-order-testing";
    const { job, f, path, epoch } = await spentJob(product);
    const done = await api("PATCH", path, { token: f.token, json: { leaseEpoch: epoch, stage: "testing" } });
    expect(done.body).toMatchObject({ stage: "testing" });
    const before = await getJob(product, job.id);
    const r = await requeue(product, job.id);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: "illegal_transition", from: "testing" });
    expect(await getJob(product, job.id)).toEqual(before);
  });
});
