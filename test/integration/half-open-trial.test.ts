// A half-open breaker's one trial takes only work no closed factory can take now (core/half-open-trial), in workerd
// through real dispatch: with two pushed factories, `flaky` (breaker half-open after five failures, idle) and `build`
// (closed, busy on two of four seats, so the load term scores it lower), a new critical job goes to `build` and no
// trial is admitted, while explain ranks `flaky` second, marked `trial`; once `build` is full the next job is
// `flaky`'s trial (so the breaker can close). Over HTTP claims the same: `flaky`'s claim skips the job a closed
// factory with a free seat can take, and gets it once that factory is full.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, getJob, type JobView, P, submit } from "./client";
import { connectFactory, type TestSocket } from "./sockets";

const CLAUDE = ["engine:claude"];
type Ranked = { factoryId: string; score: number; trial?: boolean };

/** `token`'s factory claims and fails `n` new claude jobs: five open its breaker. */
async function failJobs(product: string, token: string, n: number) {
  for (let i = 0; i < n; i++) {
    const job = await submit(product, { title: `doomed ${i}`, engine: "claude" });
    const c = await claim(product, token);
    expect(c.body.job.id).toBe(job.id);
    const result = { outcome: "failure", rc: 1, retryable: false };
    const r = await api<JobView>("PATCH", `${P(product)}/jobs/${job.id}`, {
      token,
      json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "failed", result },
    });
    expect(r.status).toBe(200);
  }
}

/** The cool-down is over (the stored open-until set back: time as state); the trial of each breaker, read too. */
async function halfOpen(product: string, factoryId: string): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec("UPDATE breakers SET open_until = ? WHERE factory_id = ?", Date.now() - 1, factoryId);
  });
}
async function trialOf(product: string, factoryId: string): Promise<string | null | undefined> {
  return runInDurableObject(
    env.COORDINATOR.getByName(product),
    (_i, state) =>
      state.storage.sql
        .exec<{ t: string | null }>("SELECT trial_job_id AS t FROM breakers WHERE factory_id = ?", factoryId)
        .toArray()
        .map((r) => r.t)[0],
  );
}

async function assigned(socket: TestSocket): Promise<string[]> {
  const frame = await socket.next<{ assignments: Array<{ job: { id: string } }> }>("assign");
  return frame.assignments.map((a) => a.job.id);
}

describe("a half-open breaker's trial takes only work no closed factory can take", () => {
  it("push: a critical job goes to the closed factory; the trial goes out once it is full", async () => {
    const product = "half-open-push";
    const flaky = await enroll(product, "flaky-1", CLAUDE);
    const build = await enroll(product, "build-1", CLAUDE, 4);
    await failJobs(product, flaky.token, 5);
    await halfOpen(product, flaky.factoryId);
    const b = (await connectFactory(product, build.token, { capabilities: CLAUDE, seats: 4 })).socket;
    const busy = [await submit(product, { title: "busy 1", engine: "claude" })];
    expect(await assigned(b)).toEqual([busy[0]?.id]);
    busy.push(await submit(product, { title: "busy 2", engine: "claude" }));
    expect(await assigned(b)).toEqual([busy[1]?.id]);
    const f = (await connectFactory(product, flaky.token, { capabilities: CLAUDE, seats: 1 })).socket;

    const critical = await submit(product, { title: "recovered", engine: "claude", priority: "critical" });
    expect(await assigned(b)).toEqual([critical.id]);
    expect((await getJob(product, critical.id)).holderFactoryId).toBe(build.factoryId);
    expect(await trialOf(product, flaky.factoryId)).toBeNull(); // no trial spent on it
    const why = await api<{ ranked: Ranked[] }>("GET", `${P(product)}/jobs/${critical.id}/explain`, { token: ADMIN });
    expect(why.body.ranked.map((c) => [c.factoryId, c.trial ?? false])).toEqual([
      [build.factoryId, false],
      [flaky.factoryId, true],
    ]);
    expect(why.body.ranked[1]?.score).toBeGreaterThan(why.body.ranked[0]?.score ?? 0); // it out-scores, ranks after

    const last = await submit(product, { title: "fills build", engine: "claude" });
    expect(await assigned(b)).toEqual([last.id]);
    const overflow = await submit(product, { title: "no closed seat left", engine: "claude" });
    expect(await assigned(f)).toEqual([overflow.id]);
    expect(await trialOf(product, flaky.factoryId)).toBe(overflow.id);
    b.close();
    f.close();
  });

  it("HTTP claims: the half-open factory's claim skips a job a closed factory can take, and takes it once it is full", async () => {
    const product = "half-open-claim";
    const flaky = await enroll(product, "flaky-1", CLAUDE);
    const build = await enroll(product, "build-1", CLAUDE, 2);
    await failJobs(product, flaky.token, 5);
    await halfOpen(product, flaky.factoryId);
    expect((await claim(product, build.token)).status).toBe(204); // build polls: up (a claim is its heartbeat)
    const first = await submit(product, { title: "a", engine: "claude" });
    expect((await claim(product, flaky.token)).status).toBe(204);
    expect(await trialOf(product, flaky.factoryId)).toBeNull();
    expect((await claim(product, build.token)).body.job.id).toBe(first.id);
    const second = await submit(product, { title: "b", engine: "claude" });
    expect((await claim(product, build.token)).body.job.id).toBe(second.id); // build is full now
    const third = await submit(product, { title: "c", engine: "claude" });
    expect((await claim(product, flaky.token)).body.job.id).toBe(third.id);
    expect(await trialOf(product, flaky.factoryId)).toBe(third.id);
  });
});
