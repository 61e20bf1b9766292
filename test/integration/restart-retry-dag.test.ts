// Work the coordinator has promised survives its restart (state.abort()): a retry waiting out its backoff is
// still pushed once the backoff ends, and a composite parent still moves on when its last child ships after
// restarts between the child's claim, its reports and its ship. Money and health too, mid-period: a run's spend
// mark (a resent cumulative report charges nothing), the budget's exhaustion pause (no claim, budget_paused) and
// its lifting by the alarm at the period's boundary, and a half-open breaker's one trial (no second trial after the
// restart; the trial's cancel frees the slot).
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { ADMIN, api, claim, enroll, getJob, type JobView, P, submit } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";
import { restartCoordinator, settleAlarm } from "./state.ts";

vi.setConfig({ testTimeout: 30_000 });

describe("across a coordinator restart", () => {
  it("a delayed retry is still pushed once its backoff ends", async () => {
    const product = "restart-retry";
    const settings = { retry: { baseSeconds: 2, maxSeconds: 2, jitter: 0 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const f = await enroll(product, "f");
    const first = await connectFactory(product, f.token);
    const job = await submit(product, { title: "flaky" });
    const a = (await first.socket.next<AssignFrame>("assign")).assignments[0]!;
    first.socket.send({
      type: "fail",
      id: "f1",
      jobId: job.id,
      leaseEpoch: a.leaseEpoch,
      result: { outcome: "failure" },
    });
    await first.socket.next("ack");
    await restartCoordinator(product);
    const again = await connectFactory(product, f.token);
    // Waits for the frame, not a delay: the 2 s backoff ends, the alarm armed before the restart pushes it.
    const second = (await again.socket.next<AssignFrame>("assign", 15_000)).assignments[0]!;
    expect(second.job).toMatchObject({ id: job.id, attempt: 2 });
    again.socket.close();
  });

  it("a composite parent moves on when its last child ships after restarts", async () => {
    const product = "restart-dag";
    const f = await enroll(product, "f");
    const parent = await submit(product, { title: "p", children: [{ title: "a" }] });
    const c = await claim(product, f.token);
    await restartCoordinator(product);
    const path = `${P(product)}/jobs/${c.body.job.id}`;
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "building" } });
    await restartCoordinator(product);
    const done = await api("PATCH", path, {
      token: f.token,
      json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "testing" },
    });
    expect(done.status).toBe(200);
    await restartCoordinator(product);
    await api("POST", `${path}/actions/ship`, { token: ADMIN });
    expect((await getJob(product, parent.id)).stage).toBe("testing");
    const stats = await api<{ counts: Record<string, number> }>("GET", `${P(product)}/stats`, { token: ADMIN });
    expect(stats.body.counts).toMatchObject({ shipped: 1, testing: 1 });
  });
});

const getBudget = (product: string) => api<BudgetView>("GET", `${P(product)}/budget`, { token: ADMIN });
const report = (product: string, token: string, jobId: string, epoch: number, json: Record<string, unknown>) =>
  api<JobView>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json: { leaseEpoch: epoch, ...json } });

describe("the product budget across a restart", () => {
  it("keeps the run's spend mark and the exhaustion pause; the boundary's rollover still lifts it", async () => {
    const product = "money-restart-budget";
    await api("PUT", `${P(product)}/budget`, {
      token: ADMIN,
      json: { period: "day", ceilingUsd: 1, onExhausted: "pause" },
    });
    const f = await enroll(product, "f", [], 2);
    const a = await submit(product, { title: "A" });
    const ca = (await claim(product, f.token, 300)).body;
    const epoch = ca.lease.leaseEpoch;
    await report(product, f.token, a.id, epoch, { stage: "building", insights: { costUsd: 0.6 } });
    await restartCoordinator(product);
    // The same cumulative report again: the mark survived, nothing more is charged.
    await report(product, f.token, a.id, epoch, { insights: { costUsd: 0.6 } });
    expect((await getBudget(product)).body).toMatchObject({ spentUsd: 0.6, state: "ok" });
    await report(product, f.token, a.id, epoch, { insights: { costUsd: 1.000001 } });
    expect((await getBudget(product)).body).toMatchObject({ spentUsd: 1.000001, pausedBy: "exhausted" });
    await restartCoordinator(product);
    const b = await submit(product, { title: "B" });
    expect((await claim(product, f.token, 300)).status).toBe(204);
    expect((await getJob(product, b.id)).waitingReason).toMatchObject({ code: "budget_paused" });
    expect((await getBudget(product)).body).toMatchObject({ state: "paused", pausedBy: "exhausted" });
    // The period ends while the coordinator is down: the stored start set back a day, then a restart and the alarm.
    await restartCoordinator(product);
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec(
        "UPDATE budget SET doc = json_set(doc, '$.periodStart', json_extract(doc, '$.periodStart') - 86400000) WHERE id = 1",
      );
    });
    await settleAlarm(product, -1);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    const rolled = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      JSON.parse(state.storage.sql.exec<{ doc: string }>("SELECT doc FROM budget").one().doc),
    );
    expect(rolled).toMatchObject({ spentUsd: 0 });
    expect(rolled.exhausted).toBeUndefined();
    expect((await claim(product, f.token, 300)).body.job?.id).toBe(b.id);
  });
});

describe("a half-open breaker across a restart", () => {
  it("lets no second trial out after the restart; the trial's cancel frees the slot", async () => {
    const product = "money-restart-breaker";
    await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { breaker: { failureThreshold: 1 } } });
    const f = await enroll(product, "f", ["engine:claude"], 3);
    const doomed = await submit(product, { title: "doomed", engine: "claude" });
    const cd = (await claim(product, f.token)).body;
    await report(product, f.token, doomed.id, cd.lease.leaseEpoch, {
      stage: "failed",
      result: { outcome: "failure", rc: 1, retryable: false },
    });
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec("UPDATE breakers SET open_until = ? WHERE factory_id = ?", Date.now() - 1, f.factoryId);
    });
    const trial = await submit(product, { title: "the trial", engine: "claude" });
    expect((await claim(product, f.token)).body.job.id).toBe(trial.id);
    const waits = await submit(product, { title: "waits", engine: "claude" });
    await restartCoordinator(product);
    expect((await claim(product, f.token)).status).toBe(204);
    await api("POST", `${P(product)}/jobs/${trial.id}/actions/cancel`, { token: ADMIN, json: {} });
    await restartCoordinator(product);
    expect((await claim(product, f.token)).body.job.id).toBe(waits.id);
  });
});
