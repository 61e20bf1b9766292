// The product budget's pauses and money in workerd (found by a reviewer): exhaustion under an operator's pause still
// raises `budget_exhausted` and applies `onExhausted: stop`, and resuming lifts only the operator's pause (the budget
// stays paused by exhaustion, no claim succeeds; the view's `exhausted` says so beside `pausedBy: operator`, where
// `pausedBy` names only the pause a resume lifts first) until a second, deliberate resume runs the period over its
// ceiling — the state then reads `overrun` (not `warning`) and `budget_exhausted` stays open, saying dispatch goes on
// over the ceiling by an operator's choice, until a ceiling above the spend resolves it; pausing an exhausted budget keeps its alert; ten $0.10 runs exhaust a $1 ceiling (micro-dollar sums,
// not 0.9999999999999999) so an 11th job is not dispatched; a stored float total of the older shape is reconciled
// on the next read; switching the period day → week → day carries the spend over (audited) instead of erasing it;
// choosing `stop` for a budget already exhausted under `pause` stops what still runs; while the budget is paused an
// HTTP claim and a push dispatch pass read no queued job (they walked up to MAX_SCAN before placing none); a stop set
// off by a progress report requeues its job with the checkpoint that report carried (it resumed from the one before).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { planAndAssign } from "../../src/durable-objects/coordinator/dispatch/plan.ts";
import { CURSOR_SQL } from "../../src/durable-objects/coordinator/dispatch/urgency-order.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client";
import { auditDelivered } from "./history-wait.ts";
import { cloneQueued, recordStatements } from "./state";

type Reply = BudgetView & { code?: string };
const get = (product: string) => api<Reply>("GET", `${P(product)}/budget`, { token: ADMIN });
const put = (product: string, json: unknown) => api<Reply>("PUT", `${P(product)}/budget`, { token: ADMIN, json });
const act = (product: string, verb: "pause" | "resume") =>
  api<Reply>("POST", `${P(product)}/budget/${verb}`, { token: ADMIN });
const report = (product: string, token: string, jobId: string, leaseEpoch: number, json: Record<string, unknown>) =>
  api<{ stage: string }>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json: { leaseEpoch, ...json } });
const liveAlerts = async (product: string) =>
  (
    await api<{ alerts: Array<{ kind: string; message: string }> }>("GET", `${P(product)}/alerts?state=open`, {
      token: ADMIN,
    })
  ).body.alerts;

describe("an operator's pause and exhaustion", () => {
  it("spend past the ceiling while paused by an operator stops the work and alerts; resume leaves it exhausted", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-op-pause-stop");
      await put(product, { period: "month", ceilingUsd: 1, onExhausted: "stop" });
      const f = await enroll(product, "f", [], 2);
      const a = await submit(product, { title: "A" });
      const ca = (await claim(product, f.token, 300)).body;
      await report(product, f.token, a.id, ca.lease.leaseEpoch, { stage: "building", insights: { costUsd: 0.1 } });
      expect((await act(product, "pause")).body).toMatchObject({
        state: "paused",
        pausedBy: "operator",
        exhausted: false,
      });
      const r = await report(product, f.token, a.id, ca.lease.leaseEpoch, { insights: { costUsd: 50 } });
      expect(r.body.stage).toBe("queued"); // stop: taken back, checkpoint kept
      expect((await liveAlerts(product)).map((x) => x.kind)).toContain("budget_exhausted");
      // Both pauses, said so (`exhausted`): the view's pausedBy names only the one a resume lifts first.
      expect((await get(product)).body).toMatchObject({
        spentUsd: 50,
        state: "paused",
        pausedBy: "operator",
        exhausted: true,
      });
      // Resume lifts the operator's pause only: dispatch stays paused by exhaustion, and says so.
      const resumed = await act(product, "resume");
      expect(resumed.body).toMatchObject({ state: "paused", pausedBy: "exhausted", exhausted: true });
      await submit(product, { title: "B" });
      expect((await claim(product, f.token, 300)).status).toBe(204);
      expect((await getJob(product, a.id)).waitingReason).toMatchObject({ code: "budget_paused" });
      // A second resume is the deliberate one: the period runs over its ceiling — and the budget says so: `overrun`,
      // the alert still open, its message now saying dispatch goes on over the ceiling by an operator's choice.
      expect((await act(product, "resume")).body).toMatchObject({ state: "overrun", spentUsd: 50, exhausted: false });
      expect((await get(product)).body).toMatchObject({ state: "overrun" });
      expect((await get(product)).body.pausedBy).toBeUndefined();
      const exhausted = (await liveAlerts(product)).filter((x) => x.kind === "budget_exhausted");
      expect(exhausted.map((x) => x.message)).toEqual([
        "budget of $1.00 per month exhausted: dispatch continues over the ceiling by an operator's resume until the period ends",
      ]);
      expect((await claim(product, f.token, 300)).status).toBe(200);
      // Paused over the overrun: an operator's pause alone (the overrun holds exhaustion off), and a resume lifts it
      // back to running over the ceiling.
      expect((await act(product, "pause")).body).toMatchObject({ pausedBy: "operator", exhausted: false });
      expect((await act(product, "resume")).body).toMatchObject({ state: "overrun", exhausted: false });
      // A ceiling above the spend ends the overrun: the alert is resolved.
      expect((await put(product, { period: "month", ceilingUsd: 100, onExhausted: "stop" })).body.state).toBe("ok");
      expect((await liveAlerts(product)).map((x) => x.kind)).not.toContain("budget_exhausted");
    }));

  it("choosing onExhausted: stop for a budget already exhausted under pause stops the work still running", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-switch-to-stop");
      await put(product, { period: "month", ceilingUsd: 1, onExhausted: "pause" });
      const f = await enroll(product, "f");
      const a = await submit(product, { title: "A" });
      const ca = (await claim(product, f.token, 300)).body;
      const over = await report(product, f.token, a.id, ca.lease.leaseEpoch, {
        stage: "building",
        insights: { costUsd: 2 },
      });
      expect(over.body.stage).toBe("building"); // pause: the running job goes on
      expect((await put(product, { period: "month", ceilingUsd: 1, onExhausted: "stop" })).status).toBe(200);
      expect((await getJob(product, a.id)).stage).toBe("queued"); // stop: taken back now, not only at the next crossing
    }));

  it("pausing an exhausted budget keeps its budget_exhausted alert", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-pause-exhausted");
      await put(product, { period: "month", ceilingUsd: 1, onExhausted: "pause" });
      const f = await enroll(product, "f", [], 1);
      const a = await submit(product, { title: "A" });
      const ca = (await claim(product, f.token, 300)).body;
      await report(product, f.token, a.id, ca.lease.leaseEpoch, { stage: "building", insights: { costUsd: 2 } });
      expect((await liveAlerts(product)).map((x) => x.kind)).toContain("budget_exhausted");
      await act(product, "pause");
      expect((await liveAlerts(product)).map((x) => x.kind)).toContain("budget_exhausted");
    }));
});

describe("money in micro-dollars", () => {
  it("ten $0.10 runs exhaust a $1 ceiling: spent 1, paused, the 11th job not dispatched", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-micros");
      await put(product, { period: "month", ceilingUsd: 1, onExhausted: "pause" });
      const f = await enroll(product, "f", [], 1);
      for (let i = 0; i < 10; i++) {
        const j = await submit(product, { title: `t${i}` });
        const c = await claim(product, f.token, 300);
        expect(c.status).toBe(200);
        const epoch = c.body.lease.leaseEpoch;
        await report(product, f.token, j.id, epoch, { stage: "building" });
        await report(product, f.token, j.id, epoch, { stage: "testing", insights: { costUsd: 0.1 } });
      }
      expect((await get(product)).body).toMatchObject({ spentUsd: 1, state: "paused", pausedBy: "exhausted" });
      await submit(product, { title: "the 11th" });
      expect((await claim(product, f.token, 300)).status).toBe(204);
    }));

  it("a stored float total of the older shape is read to the micro-dollar and exhausts on the next read", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-legacy-doc");
      await put(product, { period: "month", ceilingUsd: 1, onExhausted: "pause" });
      await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
        state.storage.sql.exec("UPDATE budget SET doc = json_set(doc, '$.spentUsd', 0.9999999999999999) WHERE id = 1");
      });
      expect((await get(product)).body).toMatchObject({ spentUsd: 1, state: "paused", pausedBy: "exhausted" });
      expect((await liveAlerts(product)).map((x) => x.kind)).toContain("budget_exhausted");
    }));
});

describe("changing the period", () => {
  it("day → week → day carries the spend over: nothing erased, the exhaustion pause holds, the audit says so", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-reperiod");
      await put(product, { period: "day", ceilingUsd: 1, onExhausted: "pause" });
      const f = await enroll(product, "f", [], 1);
      const a = await submit(product, { title: "A" });
      const ca = (await claim(product, f.token, 300)).body;
      await report(product, f.token, a.id, ca.lease.leaseEpoch, { stage: "building", insights: { costUsd: 1.5 } });
      expect((await get(product)).body).toMatchObject({ spentUsd: 1.5, pausedBy: "exhausted" });
      const week = await put(product, { period: "week", ceilingUsd: 1, onExhausted: "pause" });
      expect(week.body).toMatchObject({ period: "week", spentUsd: 1.5, state: "paused", pausedBy: "exhausted" });
      const day = await put(product, { period: "day", ceilingUsd: 1, onExhausted: "pause" });
      expect(day.body).toMatchObject({ period: "day", spentUsd: 1.5, state: "paused", pausedBy: "exhausted" });
      await submit(product, { title: "B" });
      expect((await claim(product, f.token, 300)).status).toBe(204);
      // Exactly two: read once all the coordinator wrote is in D1 (history-wait `auditDelivered`) — waiting for two
      // missed a third landing later.
      const carried = (await auditDelivered(product)).filter(
        (x) => x.action === "budget.set" && x.detail.carriedUsd !== undefined,
      );
      expect(carried.map((x) => x.detail.carriedUsd)).toEqual([1.5, 1.5]);
    }));
});

describe("dispatch under a paused budget", () => {
  /** The statements of a queue walk: a bucket class's cursor page, or a job document loaded to be scored. */
  const walk = (qs: string[]) =>
    qs.filter((q) => q.startsWith(CURSOR_SQL.slice(0, 60)) || /^SELECT .*doc FROM jobs WHERE id = \?$/.test(q));
  type Recorder = { stopRecording?: () => string[] };

  it("an HTTP claim and a push pass read no queued job while paused; resumed, both dispatch as before", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-pause-no-walk");
      await put(product, { period: "month", ceilingUsd: 10, onExhausted: "pause" });
      const f = await enroll(product, "f", [], 2);
      const seed = await submit(product, { title: "seed" });
      await cloneQueued(product, seed.id, 300);
      expect((await act(product, "pause")).body.state).toBe("paused");
      const stub = env.COORDINATOR.getByName(product);
      // The claim: answered 204 without a cursor opened or a job read (it parsed and scored all 300 before).
      await runInDurableObject(stub, (_i, state) => {
        (globalThis as Recorder).stopRecording = recordStatements(state);
      });
      expect((await claim(product, f.token, 300)).status).toBe(204);
      const claimed = await runInDurableObject(stub, () => (globalThis as Recorder).stopRecording?.() ?? []);
      expect(claimed.length).toBeGreaterThan(0); // the recorder saw the claim's unit
      expect(walk(claimed)).toEqual([]);
      // A push pass for the factory, as a connected socket would get: nothing assigned, nothing walked.
      const pass = () =>
        runInDurableObject(stub, (instance, state) => {
          const units = (instance as unknown as { units: Units }).units;
          const stop = recordStatements(state);
          let assigned = 0;
          let seen: string[] = [];
          try {
            const plan = units.transact((tx) => planAndAssign(tx, new Map([[f.factoryId, { att: {} }]])));
            for (const list of plan.assigns.values()) assigned += list.length;
          } finally {
            seen = stop();
          }
          return { assigned, walked: walk(seen).length };
        });
      expect(await pass()).toEqual({ assigned: 0, walked: 0 });
      // Unchanged otherwise: resumed, the same pass walks and assigns, and a claim takes the next job.
      expect((await act(product, "resume")).body.state).not.toBe("paused");
      const resumed = await pass();
      expect(resumed.assigned).toBe(2);
      expect(resumed.walked).toBeGreaterThan(0);
      const f2 = await enroll(product, "f2", [], 1);
      expect((await claim(product, f2.token, 300)).status).toBe(200);
    }));
});

describe("a stop set off by a progress report", () => {
  it("requeues the reporting job with the checkpoint that report carried, not the one before it", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-stop-checkpoint");
      await put(product, { period: "day", ceilingUsd: 1, onExhausted: "stop" });
      const f = await enroll(product, "f", [], 1);
      const a = await submit(product, { title: "A" });
      const epoch = (await claim(product, f.token, 300)).body.lease.leaseEpoch;
      const older = { branch: "gf/wip/a", sha: "aaaaaaa", note: "step 1" };
      const first = { stage: "building", checkpoint: older, insights: { costUsd: 0.5 } };
      expect((await report(product, f.token, a.id, epoch, first)).status).toBe(200);
      // The report that passes the ceiling carries step 2: the stopped job must resume from it, not redo (and pay
      // again for) the work since step 1.
      const newer = { branch: "gf/wip/a", sha: "bbbbbbb", note: "step 2" };
      const r = await report(product, f.token, a.id, epoch, { checkpoint: newer, insights: { costUsd: 1.5 } });
      expect(r.body.stage).toBe("queued");
      const stopped = await getJob(product, a.id);
      expect(stopped).toMatchObject({ stage: "queued", leaseEpoch: epoch + 1, checkpoint: newer });
      expect((await get(product)).body).toMatchObject({ spentUsd: 1.5, state: "paused", pausedBy: "exhausted" });
    }));
});
