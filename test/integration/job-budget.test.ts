// Per-job budgets enforced by the coordinator in workerd (issue 9, part 2): a fenced report whose cumulative cost or
// tokens, or whose wall time since the run started, passes the manifest's `budget` ends the job `failed` with outcome
// `budget_exceeded` — over HTTP PATCH and over a WebSocket progress frame, and for a completion report too (never a
// success) — with the checkpoint kept, a `job.budget_exceeded` event in its feed saying why, and no retry. A progress
// report loses its lease (the old epoch fenced, a cancel pushed to a connected holder); a final report ends its own
// lease, so its resend is acknowledged as a duplicate — also when the overrun was the coordinator's finding, not the
// agent's own outcome. A report within every limit changes nothing of that. An
// operator's requeue of a job that has spent its budget is refused 409 `budget_exceeded` (the detail says what it
// spent and how to raise it; the `job_budget_exceeded` alert stays open) unless it raises the budget above the spend
// (`budgetUsd`, audited; a value below the old budget but above the spend is audited as lowered): then the alert is resolved and the job runs on its raised budget instead of failing on its
// first cent. A report that spends nothing (no wall-time limit set) reads no spend mark at all.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, getJob, type JobView, P, submit, until } from "./client";
import { auditDelivered } from "./history-wait.ts";
import { type AssignFrame, connectFactory } from "./sockets";
import { recordStatements } from "./state";

type Failed = JobView & { lastResult?: { outcome: string; message?: string; retryable?: boolean } };
const patch = (product: string, token: string, jobId: string, json: Record<string, unknown>) =>
  api<Failed & { code?: string }>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json });

async function events(product: string, jobId: string) {
  type Ev = { type: string; data: Record<string, unknown> };
  const read = () =>
    api<{ events: Ev[] }>("GET", `${P(product)}/jobs/${jobId}/events?after=0&limit=500`, { token: ADMIN });
  return (await until(read, (r) => r.body.events?.some((e) => e.type === "job.budget_exceeded"))).body.events;
}

async function runs(product: string, jobId: string) {
  type Runs = { runs: Array<{ result?: { outcome: string } }> };
  return (await api<Runs>("GET", `${P(product)}/jobs/${jobId}/runs`, { token: ADMIN })).body.runs;
}

describe("a per-job budget, enforced by the coordinator", () => {
  it("over HTTP: a progress report past budget.usd fails the job budget_exceeded, not retried, the old lease fenced", async () => {
    const product = "job-budget-patch";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "pricey", budget: { usd: 2 }, maxAttempts: 3 });
    const { lease } = (await claim(product, f.token)).body;
    const checkpoint = { branch: "gf/wip/x", sha: "1234567" };
    const within = await patch(product, f.token, job.id, {
      leaseEpoch: lease.leaseEpoch,
      stage: "building",
      insights: { costUsd: 2 },
    });
    expect(within.body.stage).toBe("building"); // exactly the budget is within it
    const over = await patch(product, f.token, job.id, {
      leaseEpoch: lease.leaseEpoch,
      checkpoint,
      insights: { costUsd: 2.5 },
    });
    expect(over.status).toBe(200);
    expect(over.body).toMatchObject({
      stage: "failed",
      checkpoint,
      lastResult: { outcome: "budget_exceeded", retryable: false },
    });
    expect(over.body.holderFactoryId).toBeUndefined();
    const again = await patch(product, f.token, job.id, { leaseEpoch: lease.leaseEpoch, stage: "building" });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("fenced");
    expect((await getJob(product, job.id)).stage).toBe("failed"); // permanent: no automatic retry
    expect((await runs(product, job.id)).map((r) => r.result?.outcome)).toEqual(["budget_exceeded"]);
    const why = (await events(product, job.id)).find((e) => e.type === "job.budget_exceeded");
    expect(why?.data).toMatchObject({ limit: "usd", used: 2.5, max: 2 });
    expect(String(why?.data.why)).toContain("exceeds the job budget");
    // The alert it raised stays open until an operator answers it: a requeue resolves it in the same unit.
    type Alerts = { alerts: Array<{ kind: string; subject: string; state: string }> };
    const alertOf = async () =>
      (await api<Alerts>("GET", `${P(product)}/alerts?state=resolved`, { token: ADMIN })).body.alerts.find(
        (a) => a.kind === "job_budget_exceeded" && a.subject === `job:${job.id}`,
      );
    const open = await api<Alerts>("GET", `${P(product)}/alerts?state=open`, { token: ADMIN });
    expect(open.body.alerts.map((a) => a.kind)).toContain("job_budget_exceeded");
    expect(await alertOf()).toBeUndefined();
    // Requeued as it is, it would fail on its first cent: refused, saying what it spent and how to raise the budget.
    type Problem = { code?: string; detail?: string; spentUsd?: number; budgetUsd?: number };
    const requeue = (json: Record<string, unknown>) =>
      api<Problem & Failed>("POST", `${P(product)}/jobs/${job.id}/actions/requeue`, { token: ADMIN, json });
    const refused = await requeue({});
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: "budget_exceeded", spentUsd: 2.5, budgetUsd: 2 });
    expect(refused.body.detail).toContain("has spent $2.50");
    expect(refused.body.detail).toContain('{"budgetUsd": N} with N above 2.5');
    const notAbove = await requeue({ budgetUsd: 2.5 });
    expect(notAbove.body).toMatchObject({ status: 409, code: "budget_exceeded" });
    expect((await getJob(product, job.id)).stage).toBe("failed"); // nothing changed
    expect(await alertOf()).toBeUndefined(); // the alert stays open while the job is refused
    expect((await requeue({ budgetUsd: -1 })).status).toBe(400);
    const requeued = await requeue({ budgetUsd: 5, note: "raised after review" });
    expect(requeued.status).toBe(200);
    expect(requeued.body).toMatchObject({ stage: "queued", budget: { usd: 5 } });
    expect(await alertOf()).toMatchObject({ state: "resolved" });
    // It runs on what is left (5 − 2.5), not into budget_exceeded on its first cent.
    const next = (await claim(product, f.token)).body.lease;
    const ran = await patch(product, f.token, job.id, {
      leaseEpoch: next.leaseEpoch,
      stage: "building",
      insights: { costUsd: 2 },
    });
    expect(ran.body.stage).toBe("building");
    type Audit = { items: Array<{ action: string; detail: Record<string, unknown> }> };
    const audit = await until(
      () => api<Audit>("GET", `${P(product)}/history?kind=audit&jobId=${job.id}`, { token: ADMIN }),
      (r) => r.body.items?.some((i) => i.action === "job.budget_raised"),
    );
    expect(audit.body.items.find((i) => i.action === "job.budget_raised")?.detail).toMatchObject({
      from: { usd: 2 },
      to: { usd: 5 },
      spentUsd: 2.5,
    });
  });

  it("a requeue's budget raise goes with a requeue only; a token budget spent is refused the same way", async () => {
    const product = "job-budget-requeue-tokens";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "wordy", budget: { tokens: 100 } });
    const { lease } = (await claim(product, f.token)).body;
    const over = await patch(product, f.token, job.id, {
      leaseEpoch: lease.leaseEpoch,
      stage: "building",
      insights: { tokensIn: 90, tokensOut: 20 },
    });
    expect(over.body.lastResult?.outcome).toBe("budget_exceeded");
    const act = (action: string, json: Record<string, unknown>) =>
      api<{ code?: string; detail?: string }>("POST", `${P(product)}/jobs/${job.id}/actions/${action}`, {
        token: ADMIN,
        json,
      });
    const cancel = await act("cancel", { budgetUsd: 5 });
    expect(cancel.status).toBe(400);
    expect(cancel.body.code).toBe("validation_failed");
    const refused = await act("requeue", { budgetUsd: 5 }); // a USD raise does not give tokens back
    expect(refused.body).toMatchObject({ code: "budget_exceeded" });
    expect(refused.body.detail).toContain("used 110 tokens");
    expect((await act("requeue", { budgetTokens: 1000 })).status).toBe(200);
    expect((await getJob(product, job.id)).budget).toEqual({ tokens: 1000 }); // the refused raise changed nothing
  });

  it("a requeue's budget below the old one (still above the spend) is taken, and audited as lowered, not raised", async () => {
    const product = "job-budget-requeue-lower";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "capped later", budget: { usd: 10 } });
    const { lease } = (await claim(product, f.token)).body;
    const failed = await patch(product, f.token, job.id, {
      leaseEpoch: lease.leaseEpoch,
      stage: "failed",
      result: { outcome: "failure", message: "tests red", retryable: false },
      insights: { costUsd: 1 },
    });
    expect(failed.body.stage).toBe("failed");
    const act = (action: string, json: Record<string, unknown>) =>
      api("POST", `${P(product)}/jobs/${job.id}/actions/${action}`, { token: ADMIN, json });
    const requeued = await act("requeue", { budgetUsd: 3 });
    expect(requeued.body).toMatchObject({ stage: "queued" });
    expect((await getJob(product, job.id)).budget).toEqual({ usd: 3 });
    // Exactly one budget entry: read once all the coordinator wrote is in D1 (history-wait `auditDelivered`) — the
    // first one's arrival says nothing of a second one's, which may land after it.
    const changed = (await auditDelivered(product, { query: `&jobId=${job.id}` })).filter((i) =>
      i.action.startsWith("job.budget_"),
    );
    expect(changed.map((i) => i.action)).toEqual(["job.budget_lowered"]);
    expect(changed[0]?.detail).toMatchObject({ from: { usd: 10 }, to: { usd: 3 }, spentUsd: 1 });
  });

  it("over a WebSocket: progress past budget.tokens pushes a cancel and keeps the checkpoint", async () => {
    const product = "job-budget-ws";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "chatty", budget: { tokens: 1000 } });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    const ref = { jobId: job.id, leaseEpoch: a.leaseEpoch };
    const checkpoint = { branch: "gf/wip/y", sha: "abcdef0" };
    socket.send({
      type: "progress",
      id: "1",
      ...ref,
      stage: "building",
      checkpoint,
      insights: { tokensIn: 600, tokensOut: 300 },
    });
    expect((await socket.next<{ result: { stage: string } }>("ack")).result.stage).toBe("building");
    socket.send({ type: "progress", id: "2", ...ref, insights: { tokensIn: 800, tokensOut: 300 } });
    expect((await socket.next<{ result: { stage: string } }>("ack")).result.stage).toBe("failed");
    expect(await socket.next("cancel")).toMatchObject({ ...ref, code: "job_budget" }); // over its own budget
    const failed = (await getJob(product, job.id)) as Failed;
    expect(failed).toMatchObject({ stage: "failed", checkpoint, lastResult: { outcome: "budget_exceeded" } });
    expect((await events(product, job.id)).find((e) => e.type === "job.budget_exceeded")?.data).toMatchObject({
      limit: "tokens",
      used: 1100,
    });
    socket.close();
  });

  it("a completion report over budget ends failed budget_exceeded, not in testing", async () => {
    const product = "job-budget-complete";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "done but dear", budget: { usd: 1 } });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    socket.send({ type: "complete", id: "1", jobId: job.id, leaseEpoch: a.leaseEpoch, insights: { costUsd: 3 } });
    expect((await socket.next<{ result: { stage: string } }>("ack")).result.stage).toBe("failed");
    expect(((await getJob(product, job.id)) as Failed).lastResult?.outcome).toBe("budget_exceeded");
    socket.close();
  });

  it("a completion or failure report the coordinator found over budget, resent (its ack lost): a duplicate, not fenced", async () => {
    const product = "job-budget-overrun-resend";
    const f = await enroll(product, "f", [], 2);
    const { socket } = await connectFactory(product, f.token, { seats: 2 });
    const done = await submit(product, { title: "done but dear", budget: { usd: 1 } });
    const failed = await submit(product, { title: "failed and dear", budget: { usd: 1 } });
    const assigned = new Map<string, number>();
    while (assigned.size < 2) {
      for (const a of (await socket.next<AssignFrame>("assign")).assignments) assigned.set(a.job.id, a.leaseEpoch);
    }
    const complete = { type: "complete", jobId: done.id, leaseEpoch: assigned.get(done.id)!, insights: { costUsd: 3 } };
    socket.send({ ...complete, id: "c1" });
    expect(await socket.answer("c1")).toMatchObject({ type: "ack", result: { stage: "failed" } });
    socket.send({ ...complete, id: "c2" });
    expect(await socket.answer("c2")).toMatchObject({ type: "ack", result: { stage: "failed", duplicate: true } });
    socket.close();
    // Over HTTP, a failure report: the same.
    const body = { leaseEpoch: assigned.get(failed.id)!, stage: "failed", insights: { costUsd: 2 } };
    expect((await patch(product, f.token, failed.id, body)).body).toMatchObject({ stage: "failed" });
    const resent = await patch(product, f.token, failed.id, body);
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({ stage: "failed", duplicate: true, lastResult: { outcome: "budget_exceeded" } });
  });

  it("the agent's own budget_exceeded failure over budget ends its lease itself: a resend is a duplicate, not fenced", async () => {
    const product = "job-budget-agent-fail";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "noticed", budget: { usd: 1 } });
    const { lease } = (await claim(product, f.token)).body;
    const body = {
      leaseEpoch: lease.leaseEpoch,
      stage: "failed",
      result: { outcome: "budget_exceeded", message: "spent $1.50, budget is $1", retryable: false },
      insights: { costUsd: 1.5 },
    };
    const first = await patch(product, f.token, job.id, body);
    expect(first.body).toMatchObject({ stage: "failed", leaseEpoch: lease.leaseEpoch });
    const resent = await patch(product, f.token, job.id, body);
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({ stage: "failed", duplicate: true });
  });

  it("wall time: a report after budget.wallSeconds since the run started fails the job (run start set back)", async () => {
    const product = "job-budget-wall";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "slow", budget: { wallSeconds: 60 } });
    const { lease } = (await claim(product, f.token)).body;
    const ok = await patch(product, f.token, job.id, { leaseEpoch: lease.leaseEpoch, stage: "building" });
    expect(ok.body.stage).toBe("building");
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, s) => {
      s.storage.sql.exec("UPDATE runs SET started_at = ? WHERE job_id = ?", Date.now() - 127_000, job.id); // 60 s + 66 s grace
    });
    const late = await patch(product, f.token, job.id, { leaseEpoch: lease.leaseEpoch, progress: { pct: 90 } });
    expect(late.body).toMatchObject({ stage: "failed", lastResult: { outcome: "budget_exceeded" } });
    expect(late.body.lastResult?.message).toContain("wall time");
  });

  it("a report within every limit leaves the job running and in testing on success", async () => {
    const product = "job-budget-within";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "cheap", budget: { usd: 5, tokens: 10_000, wallSeconds: 3600 } });
    const { lease } = (await claim(product, f.token)).body;
    const insights = { costUsd: 4.99, tokensIn: 5000, tokensOut: 5000 };
    await patch(product, f.token, job.id, { leaseEpoch: lease.leaseEpoch, stage: "building", insights });
    const done = await patch(product, f.token, job.id, { leaseEpoch: lease.leaseEpoch, stage: "testing", insights });
    expect(done.body.stage).toBe("testing");
  });
  it("a report that spends nothing, of a job with no wall-time limit, reads no spend mark; one that spends does", async () => {
    // Issue 12: two reads of run_spend and a reload of the job per job, for reports that carry no cost at all.
    const product = "job-budget-no-spend";
    const f = await enroll(product, "f", [], 3);
    const spendReads = async (insights?: Record<string, number>) => {
      const job = await submit(product, { title: "cheap", budget: { usd: 2 } });
      const { lease } = (await claim(product, f.token)).body;
      const stub = env.COORDINATOR.getByName(product);
      await runInDurableObject(stub, (_i, state) => {
        (globalThis as { stopRecording?: () => string[] }).stopRecording = recordStatements(state);
      });
      const done = await patch(product, f.token, job.id, { leaseEpoch: lease.leaseEpoch, stage: "building", insights });
      expect(done.body.stage).toBe("building");
      const stop = () => (globalThis as unknown as { stopRecording: () => string[] }).stopRecording();
      return (await runInDurableObject(stub, stop)).filter((q) => /run_spend/.test(q));
    };
    expect(await spendReads()).toEqual([]);
    expect(await spendReads({ tokensIn: 0 })).toEqual([]);
    expect((await spendReads({ costUsd: 0.5 })).length).toBeGreaterThan(0);
  });
});
