// Every illegal transition is refused with a clear 409 and changes nothing.
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client.ts";

async function inStage(product: string, stage: "queued" | "assigned" | "building" | "testing" | "review" | "shipped") {
  const f = await enroll(product, `f-${stage}-${Math.random().toString(36).slice(2, 8)}`);
  const job = await submit(product, { title: stage, reviewers: stage === "review" ? 1 : 0 });
  if (stage === "queued") return { job, f };
  const path = `${P(product)}/jobs/${job.id}`;
  const c = await claim(product, f.token);
  expect(c.body.job.id).toBe(job.id);
  if (stage === "assigned") return { job, f };
  await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, stage: "building" } });
  if (stage === "building") return { job, f };
  await api("PATCH", path, {
    token: f.token,
    json: { leaseEpoch: 1, stage: stage === "review" ? "review" : "testing" },
  });
  if (stage === "shipped") await api("POST", `${path}/actions/ship`, { token: ADMIN });
  return { job, f };
}

describe("illegal transitions", () => {
  const operatorCases = [
    ["queued", "ship"],
    ["queued", "approve"],
    ["queued", "reject"],
    ["assigned", "ship"],
    ["building", "ship"],
    ["review", "ship"],
    ["testing", "approve"],
    ["shipped", "requeue"],
    ["shipped", "cancel"],
    ["shipped", "reject"],
  ] as const;

  for (const [stage, action] of operatorCases) {
    it(`refuses the operator action ${action} on a ${stage} job, unchanged`, async () => {
      const product = `illegal-op-${stage}-${action}`;
      const { job } = await inStage(product, stage);
      const before = await getJob(product, job.id);
      const r = await api("POST", `${P(product)}/jobs/${job.id}/actions/${action}`, { token: ADMIN });
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: "illegal_transition", from: stage });
      expect(String((r.body as { detail: string }).detail)).toContain(stage);
      expect(await getJob(product, job.id)).toEqual(before);
    });
  }

  const factoryCases = [
    ["assigned", "testing"],
    ["assigned", "review"],
    ["assigned", "shipped"],
    ["building", "shipped"],
    ["building", "queued"],
    ["building", "review"], // manifest has no review gate: success goes to testing
    ["building", "cancelled"],
  ] as const;

  for (const [stage, to] of factoryCases) {
    it(`refuses a factory moving a ${stage} job to ${to}, unchanged`, async () => {
      const product = `illegal-f-${stage}-${to}`;
      const { job, f } = await inStage(product, stage);
      const before = await getJob(product, job.id);
      const r = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
        token: f.token,
        json: { leaseEpoch: 1, stage: to },
      });
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: "illegal_transition" });
      expect(await getJob(product, job.id)).toEqual(before);
    });
  }

  it("walks the happy path with a review gate: building → review → approve×2 → testing → shipped", async () => {
    const product = "legal-review";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "r", reviewers: 2 });
    const path = `${P(product)}/jobs/${job.id}`;
    await claim(product, f.token);
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, stage: "building" } });
    expect((await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, stage: "review" } })).status).toBe(200);
    // Approvals count per authenticated principal (core/review): the admin is one reviewer, an operator token another.
    const bob = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "operator", name: "bob" },
    });
    const a1 = await api("POST", `${path}/actions/approve`, { token: ADMIN, json: { reviewer: "ann" } });
    expect(a1.body).toMatchObject({ stage: "review" });
    const dup = await api("POST", `${path}/actions/approve`, { token: ADMIN, json: { reviewer: "bob" } });
    expect(dup.body).toMatchObject({ code: "conflict" });
    const a2 = await api("POST", `${path}/actions/approve`, { token: bob.body.token });
    expect(a2.body).toMatchObject({ stage: "testing" });
    const shipped = await api("POST", `${path}/actions/ship`, { token: ADMIN });
    expect(shipped.body).toMatchObject({ stage: "shipped" });
  });

  it("cancels a running job and fences its holder out", async () => {
    const product = "legal-cancel";
    const { job, f } = await inStage(product, "building");
    const r = await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN });
    expect(r.body).toMatchObject({ stage: "cancelled", leaseEpoch: 2 });
    const late = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: f.token,
      json: { leaseEpoch: 1, stage: "testing" },
    });
    expect(late.body).toMatchObject({ code: "fenced" });
  });
});
