// Rejections expire when the host changes: a factory's exclusions (a job it released or rejected) end at once
// when its capabilities change — a heartbeat or hello declaring a new set, an operator approving what it
// declared, more seats — and the job is offered to it again, its strikes kept so the next loss backs off further; a
// heartbeat that declares the same set clears nothing.
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, P, submit } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";

interface Explained {
  at: number;
  exclusions: Array<{ factoryId: string; kind: string; strikes: number; until: number }>;
}

const heartbeat = (product: string, token: string, body: Record<string, unknown>) =>
  api("POST", `${P(product)}/factories/heartbeat`, { token, json: body });
const explain = async (product: string, jobId: string) =>
  (await api<Explained>("GET", `${P(product)}/jobs/${jobId}/explain`, { token: ADMIN })).body;
/** The exclusions in force (explain lists ended ones too: their strikes still count). */
const exclusionsOf = async (product: string, jobId: string) => {
  const { at, exclusions } = await explain(product, jobId);
  return exclusions.filter((e) => e.until > at);
};

/** `f` claims the job and releases it: it is now excluded from it for a backoff. */
async function releasedBy(product: string, token: string, jobId: string) {
  const c = await claim(product, token);
  expect(c.body.job.id).toBe(jobId);
  const r = await api("POST", `${P(product)}/jobs/${jobId}/lease/release`, {
    token,
    json: { leaseEpoch: c.body.lease.leaseEpoch },
  });
  expect(r.status).toBe(200);
  expect((await claim(product, token)).status).toBe(204);
  expect(await exclusionsOf(product, jobId)).toHaveLength(1);
}

describe("a factory's exclusions end when its capabilities change", () => {
  it("a heartbeat declaring the same set clears nothing; a new declared set clears them", async () => {
    const product = "exreset-heartbeat";
    const f = await enroll(product, "f", ["gpu"]);
    await heartbeat(product, f.token, { capabilities: ["gpu"] });
    const job = await submit(product, { title: "x", requires: ["gpu"], maxAttempts: 5 });
    await releasedBy(product, f.token, job.id);
    await heartbeat(product, f.token, { capabilities: ["gpu"] });
    expect((await claim(product, f.token)).status).toBe(204);
    await heartbeat(product, f.token, { capabilities: ["gpu", "has:docker"] });
    expect(await exclusionsOf(product, job.id)).toEqual([]);
    expect((await claim(product, f.token)).body.job.id).toBe(job.id);
  });

  it("keeps the strikes: a host that changes what it declares gets its job back, and a doubled backoff after", async () => {
    const product = "exreset-strikes";
    const f = await enroll(product, "f", ["gpu"]);
    await heartbeat(product, f.token, { capabilities: ["gpu"] });
    const job = await submit(product, { title: "x", requires: ["gpu"], maxAttempts: 9 });
    await releasedBy(product, f.token, job.id);
    await heartbeat(product, f.token, { capabilities: ["gpu", "has:docker"] }); // cleared: the job is offered again
    const again = await claim(product, f.token);
    expect(again.body.job.id).toBe(job.id);
    await api("POST", `${P(product)}/jobs/${job.id}/lease/release`, {
      token: f.token,
      json: { leaseEpoch: again.body.lease.leaseEpoch },
    });
    const [second] = await exclusionsOf(product, job.id);
    expect(second?.strikes).toBe(2); // deleted, it would start over at 1 with the base backoff
    expect(second!.until - Date.now()).toBeGreaterThan(15_000); // released: 10 s base, doubled
  });

  it("an operator approving declared capabilities clears them", async () => {
    const product = "exreset-approval";
    const f = await enroll(product, "f", ["gpu"]);
    await heartbeat(product, f.token, { capabilities: ["gpu", "lang:rust"] }); // lang:rust stays pending
    const job = await submit(product, { title: "x", requires: ["gpu"], maxAttempts: 5 });
    await releasedBy(product, f.token, job.id);
    const approved = await api("POST", `${P(product)}/factories/${f.factoryId}/capabilities/approve`, {
      token: ADMIN,
      json: { capabilities: ["lang:rust"] },
    });
    expect(approved.status).toBe(200);
    expect(await exclusionsOf(product, job.id)).toEqual([]);
    expect((await claim(product, f.token)).body.job.id).toBe(job.id);
  });

  it("a hello with a new set clears them and the job is pushed to the factory at once", async () => {
    const product = "exreset-hello";
    const f = await enroll(product, "f", ["gpu", "has:git"]);
    await heartbeat(product, f.token, { capabilities: ["gpu"] });
    const job = await submit(product, { title: "x", requires: ["gpu"], maxAttempts: 5 });
    await releasedBy(product, f.token, job.id);
    const { socket } = await connectFactory(product, f.token, { capabilities: ["gpu", "has:git"] });
    expect((await socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(job.id);
    socket.close();
  });
});
