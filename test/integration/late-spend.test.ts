// Money spent under a lease that was lost is still charged (issue 9, parts 1–2; policies/late-spend): a run report
// refused `409 fenced` because its lease epoch is no longer live still charges what its engine spent since its last
// accepted report — to the product budget (warning, pause) and to the job's own budget: a requeued job it puts over
// its budget fails `budget_exceeded` instead of running again, a lease not reaped yet or a new holder's ends by the
// in-lease overrun rule (cancel pushed), a new holder within budget is left alone; a requeued job the charge brings to
// exactly its budget ends too (nothing left to run on). Over HTTP PATCH and WebSocket
// `progress`/`fail` frames, alone and in a `batch`. The answer stays `fenced`, a resent late report never charges
// twice, and only the factory that held that epoch can charge it. The charge is audited (`spend.fenced_report`).
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import type { BatchedFrame } from "../../src/shared/protocol.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, eventsOf, getJob, type JobView, P, submit, until } from "./client";
import { auditDelivered } from "./history-wait.ts";
import { type AssignFrame, connectFactory } from "./sockets";
import { expireLeaseNow } from "./state";

type Reported = JobView & { code?: string; lastResult?: { outcome: string } };
const patch = (product: string, token: string, jobId: string, json: Record<string, unknown>) =>
  api<Reported>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json });
const budget = async (product: string) => (await api<BudgetView>("GET", `${P(product)}/budget`, { token: ADMIN })).body;
const setBudget = (product: string, ceilingUsd: number) =>
  api("PUT", `${P(product)}/budget`, { token: ADMIN, json: { period: "day", ceilingUsd, onExhausted: "pause" } });
const openAlerts = async (product: string) =>
  (
    await api<{ alerts: Array<{ kind: string; subject: string }> }>("GET", `${P(product)}/alerts?state=open`, {
      token: ADMIN,
    })
  ).body.alerts;

/** Let the job's lease run out and the alarm reap it: requeued with epoch + 1. */
async function loseLease(product: string, jobId: string): Promise<void> {
  await expireLeaseNow(product, jobId);
  await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
  expect((await getJob(product, jobId)).stage).toBe("queued");
}

describe("a report fenced after its lease was lost", () => {
  it("is still charged: the product budget warns and pauses, the requeued job fails budget_exceeded; a resend adds nothing", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("late-spend-http");
      expect((await setBudget(product, 5)).status).toBe(200);
      const f = await enroll(product, "f");
      const job = await submit(product, { title: "dear", budget: { usd: 3 }, maxAttempts: 5 });
      const { lease } = (await claim(product, f.token)).body;
      const early = { leaseEpoch: lease.leaseEpoch, stage: "building", insights: { costUsd: 1 } };
      expect((await patch(product, f.token, job.id, early)).body.stage).toBe("building");
      await loseLease(product, job.id);
      const last = {
        leaseEpoch: lease.leaseEpoch,
        stage: "failed",
        result: { outcome: "failure" },
        insights: { costUsd: 9 },
      };
      const late = await patch(product, f.token, job.id, last);
      expect(late.status).toBe(409);
      expect(late.body.code).toBe("fenced"); // the factory must still stop
      expect(await budget(product)).toMatchObject({ spentUsd: 9, state: "paused", pausedBy: "exhausted" });
      const failed = (await getJob(product, job.id)) as Reported;
      expect(failed).toMatchObject({ stage: "failed", lastResult: { outcome: "budget_exceeded", retryable: false } });
      expect(failed.leaseEpoch).toBe(lease.leaseEpoch + 1); // the requeue's epoch: nothing else moved
      const why = (
        await until(
          () => eventsOf(product, job.id, 1),
          (e) => e.some((x) => x.type === "job.budget_exceeded"),
        )
      ).find((e) => e.type === "job.budget_exceeded");
      expect(why?.data).toMatchObject({
        limit: "usd",
        used: 9,
        max: 3,
        lateFrom: { factoryId: f.factoryId, leaseEpoch: lease.leaseEpoch },
      });
      const kinds = (await openAlerts(product)).map((a) => a.kind).sort();
      expect(kinds).toEqual(["budget_exhausted", "budget_warning", "job_budget_exceeded"]);
      // Resent (the agent cannot tell a lost answer from a lost lease): refused again, charged nothing more.
      expect((await patch(product, f.token, job.id, last)).body.code).toBe("fenced");
      expect((await budget(product)).spentUsd).toBe(9);
      // Charged once: read once all the coordinator wrote is in D1 (history-wait `auditDelivered`) — the first entry's
      // arrival says nothing of a second one's (the resend's, were it charged), which may land after it.
      const charged = (await auditDelivered(product, { query: `&jobId=${job.id}` })).filter(
        (i) => i.action === "spend.fenced_report",
      );
      expect(charged).toHaveLength(1);
      expect(charged[0]!.detail).toMatchObject({ factoryId: f.factoryId, leaseEpoch: lease.leaseEpoch, addedUsd: 8 });
    }));

  it("says what the job used to the micro-dollar: two runs' $0.10 + $0.20 is 0.3 in the event and the audit", async () => {
    const product = "late-spend-micros";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "two runs", budget: { usd: 0.25 }, maxAttempts: 5 });
    const requeue = () => api("POST", `${P(product)}/jobs/${job.id}/actions/requeue`, { token: ADMIN, json: {} });
    const first = (await claim(product, f.token)).body.lease;
    const spent = { leaseEpoch: first.leaseEpoch, stage: "building", insights: { costUsd: 0.1 } };
    expect((await patch(product, f.token, job.id, spent)).body.stage).toBe("building");
    expect((await requeue()).status).toBe(200); // an operator's: no exclusion, the same factory claims the next run
    const second = (await claim(product, f.token)).body.lease;
    expect((await requeue()).status).toBe(200);
    const late = { leaseEpoch: second.leaseEpoch, insights: { costUsd: 0.2 } };
    expect((await patch(product, f.token, job.id, late)).body.code).toBe("fenced");
    expect(0.1 + 0.2).not.toBe(0.3); // the runs' marks summed in floats
    const events = await until(
      () => eventsOf(product, job.id, 1),
      (e) => e.some((x) => x.type === "job.budget_exceeded"),
    );
    expect(events.find((e) => e.type === "job.budget_exceeded")?.data).toMatchObject({ used: 0.3, max: 0.25 });
    type Audit = { items: Array<{ action: string; detail: { job?: { costUsd: number } } }> };
    const audit = await until(
      () => api<Audit>("GET", `${P(product)}/history?kind=audit&jobId=${job.id}`, { token: ADMIN }),
      (r) => r.body.items?.some((i) => i.action === "spend.fenced_report"),
    );
    expect(audit.body.items.find((i) => i.action === "spend.fenced_report")?.detail.job).toEqual({
      costUsd: 0.3,
      tokens: 0,
    });
  });

  it("brings a requeued job to exactly its budget: within it, but nothing left to run on, so it ends now", async () => {
    const product = "late-spend-exact";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "to the cent", budget: { usd: 3 }, maxAttempts: 5 });
    const { lease } = (await claim(product, f.token)).body;
    const early = { leaseEpoch: lease.leaseEpoch, stage: "building", insights: { costUsd: 1 } };
    expect((await patch(product, f.token, job.id, early)).body.stage).toBe("building");
    await loseLease(product, job.id);
    const last = { leaseEpoch: lease.leaseEpoch, insights: { costUsd: 3 } };
    expect((await patch(product, f.token, job.id, last)).body.code).toBe("fenced");
    const ended = (await getJob(product, job.id)) as Reported & { lastResult?: { message?: string } };
    expect(ended).toMatchObject({ stage: "failed", lastResult: { outcome: "budget_exceeded", retryable: false } });
    expect(ended.lastResult?.message).toContain("nothing left for another run");
  });

  it("over a WebSocket, a lease lapsed but not reaped yet: the in-lease overrun rule ends it and pushes the cancel", async () => {
    const product = "late-spend-lapsed";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "slow and dear", budget: { usd: 2 } });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    const ref = { jobId: job.id, leaseEpoch: a.leaseEpoch };
    socket.send({ type: "progress", id: "1", ...ref, stage: "building", insights: { costUsd: 1 } });
    expect((await socket.answer<{ type: string }>("1")).type).toBe("ack");
    // The refused unit rolls back; it keeps the charge first (the lapsed lease still held: the overrun rule ends it),
    // then the expiry it found due, which finds the lease already gone (dispatch/lease-ops FENCE).
    await expireLeaseNow(product, job.id);
    socket.send({ type: "progress", id: "2", ...ref, insights: { costUsd: 4 } });
    expect(await socket.answer("2")).toMatchObject({ type: "error", code: "fenced" });
    expect(await socket.next("cancel")).toMatchObject(ref);
    const failed = (await getJob(product, job.id)) as Reported;
    expect(failed).toMatchObject({ stage: "failed", lastResult: { outcome: "budget_exceeded" } });
    expect(failed.leaseEpoch).toBe(a.leaseEpoch + 1);
    type Runs = { runs: Array<{ leaseEpoch: number; result?: { outcome: string }; insights?: { costUsd?: number } }> };
    const runs = (await api<Runs>("GET", `${P(product)}/jobs/${job.id}/runs`, { token: ADMIN })).body.runs;
    expect(runs).toMatchObject([{ leaseEpoch: a.leaseEpoch, result: { outcome: "budget_exceeded" } }]);
    expect(runs[0]!.insights?.costUsd).toBe(4);
    socket.close();
  });

  it("counts toward the job's total under a new holder, whose lease it leaves alone within budget; no other factory can charge it", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("late-spend-new-holder");
      expect((await setBudget(product, 100)).status).toBe(200);
      const f1 = await enroll(product, "f1");
      const f2 = await enroll(product, "f2");
      const job = await submit(product, { title: "moved", budget: { usd: 10 } });
      const first = (await claim(product, f1.token)).body;
      await patch(product, f1.token, job.id, { leaseEpoch: first.lease.leaseEpoch, insights: { costUsd: 1 } });
      await loseLease(product, job.id);
      const second = (await claim(product, f2.token)).body; // f1 is kept from the job it let expire
      expect(second.job.id).toBe(job.id);
      const late = await patch(product, f1.token, job.id, {
        leaseEpoch: first.lease.leaseEpoch,
        insights: { costUsd: 4 },
      });
      expect(late.body.code).toBe("fenced");
      expect((await budget(product)).spentUsd).toBe(4);
      expect(await getJob(product, job.id)).toMatchObject({
        stage: "assigned",
        holderFactoryId: f2.factoryId,
        leaseEpoch: second.lease.leaseEpoch,
      });
      // The epoch f2 never held: refused, and nothing charged (only its holder spent under it).
      const forged = await patch(product, f2.token, job.id, {
        leaseEpoch: first.lease.leaseEpoch,
        insights: { costUsd: 50 },
      });
      expect(forged.body.code).toBe("fenced");
      expect((await budget(product)).spentUsd).toBe(4);
      // The job's total is 4 + this run's: exactly 10 is within, past it the in-lease rule ends the run.
      const ep = second.lease.leaseEpoch;
      expect((await patch(product, f2.token, job.id, { leaseEpoch: ep, insights: { costUsd: 6 } })).body.stage).toBe(
        "assigned",
      );
      const over = await patch(product, f2.token, job.id, { leaseEpoch: ep, insights: { costUsd: 6.5 } });
      expect(over.body).toMatchObject({ stage: "failed", lastResult: { outcome: "budget_exceeded" } });
    }));

  it("ends a new holder's lease when it puts the job past its budget, pushing that holder the cancel", async () => {
    const product = "late-spend-new-over";
    const f1 = await enroll(product, "f1");
    const job = await submit(product, { title: "overrun late", budget: { usd: 3 } });
    const first = (await claim(product, f1.token)).body;
    await patch(product, f1.token, job.id, { leaseEpoch: first.lease.leaseEpoch, insights: { costUsd: 1 } });
    const f2 = await enroll(product, "f2");
    const { socket } = await connectFactory(product, f2.token);
    await expireLeaseNow(product, job.id);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(a.job.id).toBe(job.id);
    const late = await patch(product, f1.token, job.id, {
      leaseEpoch: first.lease.leaseEpoch,
      stage: "failed",
      result: { outcome: "failure" },
      insights: { costUsd: 3.5 },
    });
    expect(late.body.code).toBe("fenced");
    expect(await socket.next("cancel")).toMatchObject({ jobId: job.id, leaseEpoch: a.leaseEpoch });
    expect(await getJob(product, job.id)).toMatchObject({
      stage: "failed",
      leaseEpoch: a.leaseEpoch + 1,
      lastResult: { outcome: "budget_exceeded" },
    });
    socket.close();
  });

  it("after an operator's cancel, over WebSocket fail and batch frames: charged once, the job left cancelled", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("late-spend-cancel");
      expect((await setBudget(product, 10)).status).toBe(200);
      const f = await enroll(product, "f");
      const { socket } = await connectFactory(product, f.token);
      const job = await submit(product, { title: "cancelled" });
      const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
      const ref = { jobId: job.id, leaseEpoch: a.leaseEpoch };
      socket.send({ type: "progress", id: "1", ...ref, stage: "building", insights: { costUsd: 1 } });
      await socket.answer("1");
      expect(
        (await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} })).status,
      ).toBe(200);
      await socket.next("cancel");
      // The closed run ($1) reaches D1 before any late report, so the late charge has to reach it by a write of its own.
      type RunRow = { leaseEpoch: number; costUsd: number | null; ingestSeq: number; outcome: string | null };
      const history = () =>
        api<{ items: RunRow[] }>("GET", `${P(product)}/history?kind=runs&jobId=${job.id}`, { token: ADMIN });
      const closed = (await until(history, (r) => r.body.items[0]?.outcome === "cancelled")).body.items[0]!;
      expect(closed.costUsd).toBe(1);
      const fail = {
        type: "fail" as const,
        ...ref,
        result: { outcome: "failure" as const }, // what the agent says of a run it stopped (cancelled is refused)
        insights: { costUsd: 2.5 },
      };
      socket.send({ ...fail, id: "2" });
      expect(await socket.answer("2")).toMatchObject({ type: "error", code: "fenced" });
      expect((await budget(product)).spentUsd).toBe(2.5);
      type BatchAck = { result: { results: Array<{ ok: boolean; code?: string }> } };
      const batch = (frames: BatchedFrame[], id: string) => {
        socket.send({ type: "batch", id, frames });
        return socket.answer<BatchAck>(id);
      };
      const resent = await batch([fail], "3");
      expect(resent.result.results).toEqual([expect.objectContaining({ ok: false, code: "fenced" })]);
      expect((await budget(product)).spentUsd).toBe(2.5);
      const higher = await batch([{ ...fail, insights: { costUsd: 3 } }], "4");
      expect(higher.result.results[0]).toMatchObject({ ok: false, code: "fenced" });
      expect((await budget(product)).spentUsd).toBe(3);
      expect((await getJob(product, job.id)).stage).toBe("cancelled");
      // D1's history ends with what was charged, the later write taking a higher ingest_seq so a follower of the
      // history sees the change (history/write lets an ended run's cost only rise).
      const row = (await until(history, (r) => r.body.items[0]?.costUsd === 3)).body.items;
      expect(row).toHaveLength(1);
      expect(row[0]).toMatchObject({ leaseEpoch: a.leaseEpoch, outcome: "cancelled" });
      expect(row[0]!.ingestSeq).toBeGreaterThan(closed.ingestSeq);
      socket.close();
    }));
});
