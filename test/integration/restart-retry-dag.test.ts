// Work the coordinator has promised survives its restart (state.abort()): a retry waiting out its backoff is
// still pushed once the backoff ends, and a composite parent still moves on when its last child ships after
// restarts between the child's claim, its reports and its ship. Money and health too, mid-period: a run's spend
// mark (a resent cumulative report charges nothing), the budget's exhaustion pause (no claim, budget_paused) and
// its lifting by the alarm at the period's boundary, and a half-open breaker's one trial (no second trial after the
// restart; the trial's cancel frees the slot). Crashes at the worst moments: feed events a feed took whose ack died
// with the coordinator land once, in order, gapless; an assignment whose frame the agent never acted on comes back in
// `welcome` at its epoch (never assigned twice) and, once re-leased, its old holder's report is fenced; a result
// whose ack died with the coordinator is acknowledged again when resent, and counts once; an alarm that dies after
// its expiry unit committed expires nothing twice when rerun; a cancel cascade whose alarm was lost is re-armed by
// the cron sweep and finished.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CANCEL_CHUNK } from "../../src/durable-objects/coordinator/dag/cancel-subtree.ts";
import { expireDue } from "../../src/durable-objects/coordinator/dispatch/lease-ops.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, eventsOf, getJob, type JobView, P, submit, until } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";
import { expireLeaseNow, restartCoordinator, settleAlarm } from "./state.ts";

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
  it("keeps the run's spend mark and the exhaustion pause; the boundary's rollover still lifts it", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("money-restart-budget");
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
    }));
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

/** Every event row the coordinator's outbox still holds for `jobId`, as a delivery round would read them. */
const pendingEvents = (product: string, jobId: string) =>
  runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
    state.storage.sql
      .exec<{ seq: number; body: string }>("SELECT seq, body FROM outbox WHERE job_id = ? ORDER BY seq", jobId)
      .toArray()
      .map((r) => ({
        seq: r.seq,
        ...(JSON.parse(r.body) as { type: string; at: number; data: Record<string, unknown> }),
      })),
  );

describe("the outbox across a restart", () => {
  it("re-sends feed events the feed took but the coordinator never acknowledged: each lands once, in order", async () => {
    const product = "restart-feed-ack";
    const job = await submit(product, { title: "half shipped" });
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.transactionSync(() => {
        const tx = { sql: state.storage.sql, productId: product, now: Date.now() };
        for (let n = 1; n <= 3; n++) enqueueEvent(tx, job.id, "log", { text: `line ${n}` });
      });
    });
    const pending = await pendingEvents(product, job.id); // held for coalescing: nobody reads the feed yet
    expect(pending.length).toBeGreaterThanOrEqual(4);
    // A round's append landed in the feed for the first events, then the coordinator died before its ack committed.
    const landed = pending.slice(0, 2);
    await env.JOB_FEED.getByName(feedName(product, job.id)).append(
      product,
      job.id,
      landed.map((e) => ({ sourceSeq: e.seq, type: e.type, at: e.at, data: e.data })),
    );
    await restartCoordinator(product);
    const events = await eventsOf(product, job.id, pending.length); // the read ships what the outbox still holds
    expect(events.map((e) => e.seq)).toEqual(pending.map((_, i) => i + 1)); // gapless, no duplicate
    expect(events.map((e) => [e.type, e.data])).toEqual(pending.map((e) => [e.type, e.data])); // in outbox order
    expect(await pendingEvents(product, job.id)).toEqual([]);
    // A watcher resuming after seq 2 gets exactly the rest.
    const rest = await api<{ events: Array<{ seq: number }> }>("GET", `${P(product)}/jobs/${job.id}/events?after=2`, {
      token: ADMIN,
    });
    expect(rest.body.events.map((e) => e.seq)).toEqual(pending.slice(2).map((_, i) => i + 3));
  });
});

describe("a pushed assignment across a restart", () => {
  it("is resumed from welcome at its epoch, never assigned twice; once re-leased, the old holder's report is fenced", async () => {
    const product = "restart-assign";
    const f = await enroll(product, "f");
    const g = await enroll(product, "g");
    const first = await connectFactory(product, f.token);
    const job = await submit(product, { title: "pushed, then the coordinator died", maxAttempts: 3 });
    const a = (await first.socket.next<AssignFrame>("assign")).assignments[0]!;
    // The agent never acted on the frame: the coordinator restarts, the socket goes with it.
    await restartCoordinator(product);
    const again = await connectFactory(product, f.token);
    expect(again.welcome.leases.map((l) => [l.job.id, l.leaseEpoch])).toEqual([[job.id, a.leaseEpoch]]);
    expect((await claim(product, g.token)).status).toBe(204); // still f's: nobody else gets it
    // f never runs it: its lease runs out, the job goes to g; f's late report is fenced and changes nothing.
    await expireLeaseNow(product, job.id);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    const c = (await claim(product, g.token)).body;
    expect(c.job.id).toBe(job.id);
    expect(c.lease.leaseEpoch).toBe(a.leaseEpoch + 2); // a → a + 1 (expired) → a + 2 (g)
    again.socket.send({
      type: "complete",
      id: "late",
      jobId: job.id,
      leaseEpoch: a.leaseEpoch,
      result: { outcome: "success" },
    });
    expect(await again.socket.answer("late")).toMatchObject({ type: "error", code: "fenced" });
    expect((await getJob(product, job.id)).stage).toBe("assigned");
    for (const stage of ["building", "testing"])
      expect((await report(product, g.token, job.id, c.lease.leaseEpoch, { stage })).status).toBe(200);
    const runs = await api<{ runs: Array<{ leaseEpoch: number; result?: { outcome: string } }> }>(
      "GET",
      `${P(product)}/jobs/${job.id}/runs`,
      { token: ADMIN },
    );
    const outcomes = runs.body.runs.map((r) => [r.leaseEpoch, r.result?.outcome]);
    expect(outcomes).toEqual([
      [a.leaseEpoch, "timeout"],
      [a.leaseEpoch + 2, "success"],
    ]);
    again.socket.close();
  });
});

describe("a result whose ack died with the coordinator", () => {
  it("is acknowledged again when resent on the next socket, and counts once", async () => {
    const product = "restart-result-ack";
    const f = await enroll(product, "f");
    const first = await connectFactory(product, f.token);
    const job = await submit(product, { title: "done before the crash" });
    const a = (await first.socket.next<AssignFrame>("assign")).assignments[0]!;
    const lease = { jobId: job.id, leaseEpoch: a.leaseEpoch };
    first.socket.send({ type: "accept", id: "go", ...lease, stage: "building" });
    await first.socket.answer("go");
    const complete = { type: "complete", ...lease, result: { outcome: "success", rc: 0 } };
    first.socket.send({ ...complete, id: "c1" });
    await first.socket.answer("c1"); // committed; the agent, crashing with the coordinator, never saw this ack
    await restartCoordinator(product);
    const again = await connectFactory(product, f.token);
    expect(again.welcome.leases).toEqual([]);
    again.socket.send({ ...complete, id: "c2" });
    expect(await again.socket.answer("c2")).toMatchObject({ type: "ack", result: { duplicate: true } });
    expect((await getJob(product, job.id)).stage).toBe("testing");
    const runs = await api<{ runs: Array<{ result?: { outcome: string } }> }>(
      "GET",
      `${P(product)}/jobs/${job.id}/runs`,
      {
        token: ADMIN,
      },
    );
    expect(runs.body.runs.map((r) => r.result?.outcome)).toEqual(["success"]);
    const stages = (await eventsOf(product, job.id, 1)).filter((e) => e.data.to === "testing");
    expect(stages).toHaveLength(1);
    again.socket.close();
  });
});

describe("an alarm that dies after expiring leases", () => {
  it("has expired each once: after the restart and the alarm's rerun, one epoch bump, one lease.lost, pushed again", async () => {
    const product = "restart-alarm-expiry";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "its holder went quiet", maxAttempts: 3 });
    const c = (await claim(product, f.token)).body;
    await expireLeaseNow(product, job.id);
    // The alarm's expiry unit commits; the alarm dies before its dispatch pass, its delivery and its re-arm.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.transactionSync(() => expireDue({ sql: state.storage.sql, productId: product, now: Date.now() }));
    });
    await restartCoordinator(product);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product)); // the runtime runs a failed alarm again
    const after = await getJob(product, job.id);
    expect(after).toMatchObject({ stage: "queued", leaseEpoch: c.lease.leaseEpoch + 1 });
    const g = await enroll(product, "g");
    const pushed = await connectFactory(product, g.token);
    const again = (await pushed.socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(again).toMatchObject({ job: { id: job.id }, leaseEpoch: c.lease.leaseEpoch + 2 });
    const lost = (await eventsOf(product, job.id, 1)).filter((e) => e.type === "lease.lost");
    expect(lost.map((e) => e.data.leaseEpoch)).toEqual([c.lease.leaseEpoch]);
    pushed.socket.close();
  });
});

describe("a cancel cascade across a restart that lost its alarm", () => {
  it("is re-armed by the cron sweep and finished, no engine ever started below it", async () => {
    const product = "restart-cascade";
    const stub = () => env.COORDINATOR.getByName(product); // a stub of the aborted instance stays broken
    const parent = await submit(product, { title: "p" });
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ title: `c${i}` }));
    const add = (children: unknown[]) =>
      api("POST", `${P(product)}/jobs/${parent.id}/children`, { token: ADMIN, json: { children } });
    expect((await add(many(CANCEL_CHUNK))).status).toBe(201);
    expect((await add(many(7))).status).toBe(201);
    // The alarm may not run: the cancel's first chunk commits, then the coordinator dies and its alarm is lost.
    await runInDurableObject(stub(), (instance: { alarm?: () => void | Promise<void> }) => {
      instance.alarm = async () => {};
    });
    expect((await api("POST", `${P(product)}/jobs/${parent.id}/actions/cancel`, { token: ADMIN })).status).toBe(200);
    // Its outbox shipped (the rows gone), so only the cascade is due: a new instance arms its alarm for pending outbox
    // records (runtime/alarm `load`), not for the cascade's next chunk.
    await runInDurableObject(stub(), (_i, state) => {
      state.storage.sql.exec("DELETE FROM outbox_retries");
      state.storage.sql.exec("DELETE FROM outbox");
      return state.storage.deleteAlarm();
    });
    await restartCoordinator(product);
    // Due work, no alarm: nothing but a unit (any unit re-arms it) or the cron's sweep would wake it.
    await runInDurableObject(stub(), async (_i, state) => expect(await state.storage.getAlarm()).toBeNull());
    await stub().sweep(product); // the cron's safety net: it arms the alarm, which the runtime fires at once
    const counts = await until(
      async () => {
        await runDurableObjectAlarm(stub());
        return (await api<{ counts: Record<string, number> }>("GET", `${P(product)}/stats`, { token: ADMIN })).body
          .counts;
      },
      (c) => c.cancelled === 1 + CANCEL_CHUNK + 7,
    );
    expect(counts.queued ?? 0).toBe(0);
    const f = await enroll(product, "f");
    expect((await claim(product, f.token)).status).toBe(204);
    const runs = await runInDurableObject(stub(), (_i, state) =>
      state.storage.sql.exec("SELECT 1 FROM runs").toArray(),
    );
    expect(runs).toEqual([]);
  });
});
