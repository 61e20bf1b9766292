// The product budget end to end in workerd (issue 9, part 1): PUT/GET …/budget; spend accrues from cumulative run
// insights as they are reported (HTTP PATCH and WebSocket progress), only their increase; warning at 80 %, paused at
// 100 % with a queued job waiting `budget_paused` and not dispatched; resume dispatches it; `onExhausted: stop` sends
// a cancel over a real WebSocket and requeues the running jobs with their checkpoint and attempt kept (the progress
// frame that set it off keeps its log lines in the feed and its checkpoint on the job); the period
// rolls over at its UTC boundary (stored periodStart set back, read or alarm, no sleeping), lifting an exhaustion
// pause but not an operator's; a viewer cannot PUT or pause, and bad bodies are 400 problem+json changing nothing.
// The warning alert of a $0.03 budget says "spent $0.029 of $0.03", not "$0.03 of $0.03" (amounts share digits).
// The view says since when the spend counts: from a first budget set mid-period, then from the next period's start.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, eventsOf, getJob, mintToken, P, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";
import { settleAlarm } from "./state.ts";

/** What the warning says after its figures (core/budget-alerts): they are of the moment it was raised. */
const RAISED = " when this alert was raised; `gigafactory budget` shows the spend now";

type Reply = BudgetView & { code?: string };
const get = (product: string, token = ADMIN) => api<Reply>("GET", `${P(product)}/budget`, { token });
const put = (product: string, json: unknown, token = ADMIN) =>
  api<Reply>("PUT", `${P(product)}/budget`, { token, json });
const act = (product: string, verb: "pause" | "resume", token = ADMIN) =>
  api<Reply>("POST", `${P(product)}/budget/${verb}`, { token });
const report = (product: string, token: string, jobId: string, leaseEpoch: number, costUsd: number) =>
  api<{ stage: string }>("PATCH", `${P(product)}/jobs/${jobId}`, {
    token,
    json: { leaseEpoch, stage: "building", insights: { costUsd } },
  });

const mint = async (product: string, role: "viewer" | "operator", name?: string) =>
  (await mintToken(product, role, name)).token;

/** Move the stored period back by `days` (as if that much time had passed), without sleeping. */
async function ageBudget(product: string, days: number): Promise<void> {
  await settleAlarm(product); // an outbox round under way would not see the move (state.ts)
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(
      "UPDATE budget SET doc = json_set(doc, '$.periodStart', json_extract(doc, '$.periodStart') - ?) WHERE id = 1",
      days * 86_400_000,
    );
  });
}

describe("PUT/GET …/budget", () => {
  it("is 404 until set, then answers the period, spend, state and burndown", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-read");
      const viewer = await mint(product, "viewer");
      const none = await get(product, viewer);
      expect(none.status).toBe(404);
      expect(none.headers.get("content-type")).toContain("application/problem+json");
      // `what` tells "no budget set" from an unknown product (both not_found): the CLI reads it (cli/commands/budget).
      expect(none.body).toMatchObject({ code: "not_found", what: "budget of product", id: product });
      const set = await put(product, { period: "day", ceilingUsd: 10, onExhausted: "pause" });
      expect(set.status).toBe(200);
      const r = await get(product, viewer);
      expect(r.body).toMatchObject({ period: "day", ceilingUsd: 10, spentUsd: 0, state: "ok", warnAtUsd: 8 });
      const midnight = new Date();
      midnight.setUTCHours(0, 0, 0, 0);
      expect(r.body.periodStart).toBe(midnight.getTime());
      // The line starts when the spend starts counting (set mid-day: then), not at midnight (core/budget-burndown).
      expect(r.body.spentSince).toBeGreaterThanOrEqual(midnight.getTime());
      expect(r.body.burndown).toEqual([{ at: r.body.spentSince, spentUsd: 0 }]);
      // The alarm waits for the boundary, among whatever else is due.
      const alarm = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, s) => s.storage.getAlarm());
      expect(alarm).not.toBeNull();
      expect(alarm!).toBeLessThanOrEqual(r.body.periodStart + 86_400_000);
    }));

  it("refuses a viewer's PUT and pause with 403, and bad bodies with 400 problem+json; nothing changes", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-refusals");
      const viewer = await mint(product, "viewer");
      expect((await put(product, { period: "week", ceilingUsd: 5, onExhausted: "stop" })).status).toBe(200);
      const before = (await get(product)).body;
      expect((await put(product, { period: "day", ceilingUsd: 1, onExhausted: "pause" }, viewer)).status).toBe(403);
      expect((await act(product, "pause", viewer)).status).toBe(403);
      for (const bad of [
        { period: "year", ceilingUsd: 5, onExhausted: "stop" },
        { period: "day", ceilingUsd: -1, onExhausted: "stop" },
        { period: "day", ceilingUsd: 5, onExhausted: "explode" },
        { period: "day", ceilingUsd: 5 },
        { period: "day", ceilingUsd: 5, onExhausted: "stop", extra: 1 },
        [1, 2],
      ]) {
        const r = await put(product, bad);
        expect(r.status).toBe(400);
        expect(r.headers.get("content-type")).toContain("application/problem+json");
        expect(r.body.code).toBe("validation_failed");
      }
      const extra = await api<Reply>("POST", `${P(product)}/budget/pause`, { token: ADMIN, json: { why: 1 } });
      expect(extra.status).toBe(400);
      expect((await get(product)).body).toEqual(before);
    }));
});

describe("spend from run reports", () => {
  it("warns at 80 %, pauses dispatch at 100 % (pause: the running job goes on), and resume dispatches", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-pause");
      expect((await put(product, { period: "month", ceilingUsd: 10, onExhausted: "pause" })).status).toBe(200);
      const f = await enroll(product, "f", [], 2);
      const a = await submit(product, { title: "a" });
      const lease = (await claim(product, f.token)).body;
      expect(lease.job.id).toBe(a.id);
      expect((await report(product, f.token, a.id, lease.lease.leaseEpoch, 8)).status).toBe(200);
      expect((await get(product)).body).toMatchObject({ spentUsd: 8, state: "warning" });
      // Cumulative: the same total again (a resend) adds nothing, nor does an older, lower one.
      await report(product, f.token, a.id, lease.lease.leaseEpoch, 8);
      await report(product, f.token, a.id, lease.lease.leaseEpoch, 5);
      expect((await get(product)).body.spentUsd).toBe(8);
      const b = await submit(product, { title: "b" });
      expect((await report(product, f.token, a.id, lease.lease.leaseEpoch, 10.5)).body.stage).toBe("building");
      const paused = (await get(product)).body;
      expect(paused).toMatchObject({ spentUsd: 10.5, state: "paused", pausedBy: "exhausted" });
      expect(paused.burndown.at(-1)?.spentUsd).toBe(10.5);
      expect(
        (await api<{ budgetPaused: boolean }>("GET", `${P(product)}/settings`, { token: ADMIN })).body.budgetPaused,
      ).toBe(true);
      expect((await getJob(product, b.id)).waitingReason).toMatchObject({ code: "budget_paused" });
      expect((await claim(product, f.token)).status).toBe(204);
      expect((await getJob(product, a.id)).stage).toBe("building"); // pause: running work finishes
      const resumed = await act(product, "resume");
      expect(resumed.body).toMatchObject({ state: "overrun", spentUsd: 10.5 }); // over the ceiling, by choice
      expect(resumed.body.pausedBy).toBeUndefined();
      expect((await claim(product, f.token)).body.job.id).toBe(b.id);
    }));

  it("stop: a cancel reaches the holder over its WebSocket; its jobs are requeued with checkpoint and attempt kept", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-stop");
      expect((await put(product, { period: "day", ceilingUsd: 1, onExhausted: "stop" })).status).toBe(200);
      const f = await enroll(product, "f", [], 2);
      const { socket } = await connectFactory(product, f.token, { seats: 2 });
      const a = await submit(product, { title: "a" });
      const b = await submit(product, { title: "b" });
      const pushed: AssignFrame["assignments"] = [];
      while (pushed.length < 2) pushed.push(...(await socket.next<AssignFrame>("assign")).assignments);
      const epochOf = (id: string) => pushed.find((x) => x.job.id === id)!.leaseEpoch;
      const checkpoint = { branch: "gf/wip/b", sha: "abc1234" };
      socket.send({ type: "progress", id: "1", jobId: b.id, leaseEpoch: epochOf(b.id), stage: "building", checkpoint });
      await socket.next("ack");
      const attemptBefore = (await getJob(product, b.id)).attempt;
      const frame = { type: "progress", id: "2", jobId: a.id, leaseEpoch: epochOf(a.id), insights: { costUsd: 1.25 } };
      socket.send(frame);
      await socket.next("ack");
      const cancels = [await socket.next<{ jobId: string; leaseEpoch: number }>("cancel")];
      cancels.push(await socket.next("cancel"));
      expect(cancels.map((c) => c.jobId).sort()).toEqual([a.id, b.id].sort());
      expect(cancels.map((c) => (c as { code?: string }).code)).toEqual(["budget", "budget"]); // the product's budget
      expect(cancels.find((c) => c.jobId === b.id)?.leaseEpoch).toBe(epochOf(b.id));
      const stopped = await getJob(product, b.id);
      expect(stopped).toMatchObject({ stage: "queued", checkpoint, leaseEpoch: epochOf(b.id) + 1 });
      expect(stopped.attempt).toBe(attemptBefore - 1); // refunded: a stop is no failure of the job
      expect(stopped.waitingReason).toMatchObject({ code: "budget_paused" });
      expect((await get(product)).body).toMatchObject({ state: "paused", spentUsd: 1.25 });
      // The old lease is fenced.
      socket.send({ ...frame, id: "3" });
      expect(await socket.next<{ code: string }>("error")).toMatchObject({ code: "fenced" });
      socket.close();
    }));
});

describe("the progress frame that sets off a stop", () => {
  it("keeps its log lines in the job's feed and its checkpoint on the requeued job", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-stop-logs");
      expect((await put(product, { period: "day", ceilingUsd: 1, onExhausted: "stop" })).status).toBe(200);
      const f = await enroll(product, "f");
      const { socket } = await connectFactory(product, f.token);
      const a = await submit(product, { title: "a" });
      const [assigned] = (await socket.next<AssignFrame>("assign")).assignments;
      const checkpoint = { branch: "gf/wip/a", sha: "bbbbbbb" };
      // The engine's last lines before the ceiling: what an operator reads to learn what the money went on.
      const logs = [{ stream: "stdout", text: "last words before the ceiling", at: Date.now() }];
      const insights = { costUsd: 1.5 };
      const frame = {
        type: "progress",
        id: "1",
        jobId: a.id,
        leaseEpoch: assigned!.leaseEpoch,
        checkpoint,
        logs,
        insights,
      };
      socket.send({ ...frame, stage: "building" });
      await socket.next("ack");
      expect(await getJob(product, a.id)).toMatchObject({ stage: "queued", checkpoint });
      const feed = await eventsOf(product, a.id, 1);
      expect(feed.filter((e) => e.type === "log").map((e) => e.data.lines)).toEqual([logs]);
      socket.close();
    }));
});

describe("rollover at the UTC boundary", () => {
  it("on a read: a fresh period, nothing spent, an exhaustion pause lifted and dispatch resumed", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-rollover");
      expect((await put(product, { period: "day", ceilingUsd: 1, onExhausted: "pause" })).status).toBe(200);
      const f = await enroll(product, "f", [], 2);
      const a = await submit(product, { title: "a" });
      const lease = (await claim(product, f.token)).body;
      await report(product, f.token, a.id, lease.lease.leaseEpoch, 2);
      const b = await submit(product, { title: "b" });
      expect((await get(product)).body.state).toBe("paused");
      const before = (await get(product)).body.periodStart;
      await ageBudget(product, 1);
      const rolled = (await get(product)).body;
      expect(rolled).toMatchObject({ state: "ok", spentUsd: 0, periodStart: before });
      expect(rolled.burndown).toEqual([{ at: before, spentUsd: 0 }]);
      const waiting = (await getJob(product, b.id)).waitingReason as { code: string } | null;
      expect(waiting?.code).not.toBe("budget_paused");
      expect((await claim(product, f.token)).body.job.id).toBe(b.id);
    }));

  it("by the alarm, keeping an operator's pause", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-rollover-alarm");
      expect((await put(product, { period: "week", ceilingUsd: 3, onExhausted: "pause" })).status).toBe(200);
      expect((await act(product, "pause")).body).toMatchObject({ state: "paused", pausedBy: "operator" });
      await ageBudget(product, 7);
      const stub = env.COORDINATOR.getByName(product);
      // The alarm armed for the boundary (next Monday) runs now, as if that time had come.
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      const stored = await runInDurableObject(stub, (_i, s) =>
        JSON.parse(s.storage.sql.exec<{ doc: string }>("SELECT doc FROM budget").one().doc),
      );
      const monday = new Date();
      monday.setUTCHours(0, 0, 0, 0);
      monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7));
      expect(stored).toMatchObject({ periodStart: monday.getTime(), spentUsd: 0, pausedBy: "operator" });
      expect((await act(product, "resume")).body.state).toBe("ok");
    }));
});

describe("rollover when the boundary's alarm was lost", () => {
  it("by the cron sweep: the safety net rolls the period over and lifts an exhaustion pause", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-rollover-sweep");
      expect((await put(product, { period: "day", ceilingUsd: 1, onExhausted: "pause" })).status).toBe(200);
      const f = await enroll(product, "f", [], 2);
      const a = await submit(product, { title: "a" });
      const lease = (await claim(product, f.token)).body;
      await report(product, f.token, a.id, lease.lease.leaseEpoch, 2);
      await ageBudget(product, 1);
      const stub = env.COORDINATOR.getByName(product);
      // Lost: the alarm the boundary armed never runs (a deploy, a storage fault); only the minute's cron does.
      await runInDurableObject(stub, (_i, s) => s.storage.deleteAlarm());
      await stub.sweep(product);
      const stored = await runInDurableObject(stub, (_i, s) => ({
        doc: JSON.parse(s.storage.sql.exec<{ doc: string }>("SELECT doc FROM budget").one().doc),
      }));
      // Read from storage, not through GET (a read rolls over by itself): the sweep did it, and dispatch runs again.
      expect(stored.doc).toMatchObject({ spentUsd: 0 });
      expect(stored.doc.exhausted).toBeUndefined();
      const b = await submit(product, { title: "b" });
      expect((await claim(product, f.token)).body.job.id).toBe(b.id);
    }));
});

describe("the budget alerts' texts", () => {
  it("say a small budget's amounts with the digits that tell them apart (R2: 'spent $0.03 of $0.03' while under)", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-cents");
      expect((await put(product, { period: "day", ceilingUsd: 0.03, onExhausted: "pause" })).status).toBe(200);
      const f = await enroll(product, "f");
      const a = await submit(product, { title: "a" });
      const lease = (await claim(product, f.token)).body;
      expect((await report(product, f.token, a.id, lease.lease.leaseEpoch, 0.029)).status).toBe(200);
      const alerts = await api<{ alerts: Array<{ kind: string; message: string }> }>(
        "GET",
        `${P(product)}/alerts?state=open`,
        { token: ADMIN },
      );
      const warning = alerts.body.alerts.find((x) => x.kind === "budget_warning");
      expect(warning?.message).toBe(`spent $0.029 of $0.03 this day (≥ 80 %)${RAISED}`);
    }));
});

describe("since when the spend counts", () => {
  it("a first budget counts from when it was set; a change is said beside it; the next period from its start", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-spent-since");
      const set = (await put(product, { period: "day", ceilingUsd: 5, onExhausted: "pause" })).body;
      // Set mid-period (a test never runs at 00:00:00.000 UTC): runs before it are not counted.
      expect(set.spentSinceCause).toBe("budget_set");
      expect(set.spentSince).toBeGreaterThan(set.periodStart);
      expect(set).not.toHaveProperty("changedAt");
      // The count began a minute ago (a change in the same millisecond is no later change), without sleeping.
      const since = set.spentSince - 60_000;
      await settleAlarm(product);
      await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
        state.storage.sql.exec("UPDATE budget SET doc = json_set(doc, '$.countsFrom.at', ?) WHERE id = 1", since);
      });
      const raised = (await put(product, { period: "day", ceilingUsd: 9, onExhausted: "pause" })).body;
      expect(raised).toMatchObject({ spentSince: since, spentSinceCause: "budget_set" });
      expect(raised.changedAt).toBeGreaterThanOrEqual(set.spentSince);
      await ageBudget(product, 1);
      const rolled = (await get(product)).body;
      expect(rolled).toMatchObject({ spentSince: rolled.periodStart, spentSinceCause: "period_start" });
      expect(rolled).not.toHaveProperty("changedAt");
    }));
});
