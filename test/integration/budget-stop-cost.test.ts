// What a budget `stop` of N running jobs costs, measured in workerd (policies/budget-stop `stopRunning`): the report
// whose spend exhausts a `stop` budget stops every running job in its OWN unit — when its call returns, none of the
// N is leased any more, and it wrote one stop notice per job — and the statements that call runs grow linearly with
// N, at a fixed number per stopped job (the lease taken, the run closed, the event, the notice, the serial hold, the
// requeue…; locally ~11: 40 jobs ~477 statements in the one call). The figure is pinned so a change to it is seen:
// at thousands of running jobs this one unit holds the coordinator for seconds (pass 30 measured it and left it so;
// the chunked design it would need is in that pass's report).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client";
import { recordStatements } from "./state";

type Recorder = { stopRecording?: () => string[] };

/** N running jobs, then the report that exhausts the budget: the statements its call ran, and the jobs still leased. */
async function stopOf(product: string, n: number): Promise<{ statements: number; notices: number; leased: number }> {
  const budget = { period: "day", ceilingUsd: 1, onExhausted: "stop" };
  expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: budget })).status).toBe(200);
  const f = await enroll(product, "f", [], n + 1);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await submit(product, { title: `job ${i}` })).id);
  const leases = [];
  for (let i = 0; i < n; i++) leases.push((await claim(product, f.token)).body);
  const stub = env.COORDINATOR.getByName(product);
  await runInDurableObject(stub, (_i, state) => {
    (globalThis as Recorder).stopRecording = recordStatements(state);
  });
  const first = leases[0]!;
  const json = { leaseEpoch: first.lease.leaseEpoch, stage: "building", insights: { costUsd: 1 } };
  const r = await api("PATCH", `${P(product)}/jobs/${first.job.id}`, { token: f.token, json });
  const statements = await runInDurableObject(stub, () => (globalThis as Recorder).stopRecording!());
  expect(r.status).toBe(200);
  let leased = 0;
  for (const id of ids) if ((await getJob(product, id)).holderFactoryId) leased += 1;
  const notices = statements.filter((q) => q.startsWith("INSERT INTO stop_notices")).length;
  return { statements: statements.length, notices, leased };
}

describe("a budget stop of N running jobs", () => {
  it("stops them all in the report's one unit, at a fixed number of statements per job", async () => {
    const small = await stopOf("budget-stop-cost-8", 8);
    const large = await stopOf("budget-stop-cost-40", 40);
    expect(small).toMatchObject({ notices: 8, leased: 0 });
    expect(large).toMatchObject({ notices: 40, leased: 0 }); // all 40 in the one call: nothing left for a later unit
    // Locally ~125 statements for 8 jobs and ~477 for 40: ~11 per stopped job (the call's background outbox work
    // moves the small count by a few, hence a range).
    const perJob = (large.statements - small.statements) / 32;
    expect(perJob).toBeGreaterThanOrEqual(8);
    expect(perJob).toBeLessThanOrEqual(20);
  });
});
