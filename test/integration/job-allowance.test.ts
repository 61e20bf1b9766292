// An assignment carries what is left of its job's budget (`allowance`, policies/job-allowance): the manifest's
// budget.usd / tokens bound the whole job, so after a first run spent part of them and failed retryably, the retry's
// assignment — a WebSocket `assign`, a `welcome`'s lease on reconnect, and an HTTP claim — carries the budget less
// that spend, for the agent to stop the run there (it had held every run to the whole budget again). A job with no
// spend yet gets its whole budget; a job with no usd/tokens limit gets no allowance, and its claim reads no spend.
// A job whose runs spent exactly its budget (within it) has nothing left: every automatic way back to the queue — a
// retryable failure, a rate limit, a lease that expired, a factory's release, its factory revoked or deregistered, a
// preemption, a review's `onReject: requeue` — ends it `failed` `budget_exceeded` at once (not retried, saying so,
// alert raised) instead of queuing it for a run with an allowance of 0; and one found spent while queued is ended by
// dispatch, never assigned.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../src/core/settings.ts";
import { setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import type { Assignment } from "../../src/shared/protocol.ts";
import { ADMIN, api, claim, enroll, getJob, type JobView, P, submit, until } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";
import { expireLeaseNow, recordStatements } from "./state";

type Claimed = { job: JobView; lease: { leaseEpoch: number }; allowance?: Assignment["allowance"] };
type Ended = JobView & { lastResult?: { outcome: string; message?: string; retryable?: boolean } };
const patch = (product: string, token: string, jobId: string, json: Record<string, unknown>) =>
  api<Ended>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json });
const retryAtOnce = (product: string) =>
  api("PATCH", `${P(product)}/settings`, {
    token: ADMIN,
    json: { retry: { baseSeconds: 0, maxSeconds: 0, jitter: 0 } },
  });
const failedRetryably = { outcome: "failure" as const, message: "tests red", retryable: true };

describe("an assignment's allowance", () => {
  it("over HTTP: the retry's claim carries the budget less what the failed first run spent", async () => {
    const product = "job-allowance-http";
    expect((await retryAtOnce(product)).status).toBe(200);
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "retried", budget: { usd: 5, tokens: 1000 }, maxAttempts: 3 });
    const first = (await claim(product, f.token)).body as Claimed;
    expect(first.allowance).toEqual({ usd: 5, tokens: 1000 }); // nothing spent yet: the whole budget
    const leaseEpoch = first.lease.leaseEpoch;
    // The high-water marks count, not the last report: $3.50 and 400 tokens, though the failure reported less.
    await patch(product, f.token, job.id, { leaseEpoch, stage: "building", insights: { costUsd: 3.5, tokensIn: 400 } });
    const failed = await patch(product, f.token, job.id, {
      leaseEpoch,
      stage: "failed",
      result: failedRetryably,
      insights: { costUsd: 1, tokensIn: 100 },
    });
    expect(failed.body.stage).toBe("queued");
    const retry = (await claim(product, f.token)).body as Claimed;
    expect(retry.lease.leaseEpoch).toBe(leaseEpoch + 1);
    expect(retry.allowance).toEqual({ usd: 1.5, tokens: 600 });
  });

  it("over a WebSocket: the retry's assign, and the lease a reconnect's welcome lists, carry the remainder", async () => {
    const product = "job-allowance-ws";
    expect((await retryAtOnce(product)).status).toBe(200);
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "retried", budget: { usd: 2, wallSeconds: 600 }, maxAttempts: 3 });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(a.allowance).toEqual({ usd: 2 }); // usd only: wallSeconds is per run, and no token limit is set
    const ref = { jobId: job.id, leaseEpoch: a.leaseEpoch };
    socket.send({ type: "fail", id: "1", ...ref, result: failedRetryably, insights: { costUsd: 0.75 } });
    expect((await socket.next<{ result: { stage: string } }>("ack")).result.stage).toBe("queued");
    const b = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(b.leaseEpoch).toBe(a.leaseEpoch + 1);
    expect(b.allowance).toEqual({ usd: 1.25 });
    // This run's own spend is not taken off its allowance: the agent counts it against the allowance itself.
    socket.send({ type: "progress", id: "2", jobId: job.id, leaseEpoch: b.leaseEpoch, insights: { costUsd: 0.5 } });
    await socket.next("ack");
    socket.close();
    const { socket: again, welcome } = await connectFactory(product, f.token);
    expect(welcome.leases.map((l) => [l.leaseEpoch, l.allowance])).toEqual([[b.leaseEpoch, { usd: 1.25 }]]);
    again.close();
  });

  it("is absent for a job with no usd or tokens limit, whose claim then reads no spend marks", async () => {
    const product = "job-allowance-none";
    const f = await enroll(product, "f");
    await submit(product, { title: "unbounded", budget: { wallSeconds: 600 } });
    const stub = env.COORDINATOR.getByName(product);
    await runInDurableObject(stub, (_i, state) => {
      (globalThis as { stopRecording?: () => string[] }).stopRecording = recordStatements(state);
    });
    const claimed = (await claim(product, f.token)).body as Claimed;
    const stop = () => (globalThis as unknown as { stopRecording: () => string[] }).stopRecording();
    const statements = await runInDurableObject(stub, stop);
    expect(claimed.lease).toBeDefined();
    expect("allowance" in claimed).toBe(false);
    expect(statements.filter((q) => /run_spend/.test(q))).toEqual([]);
  });
});

describe("a job that spent exactly its budget", () => {
  const spentOut = (message: string) => ({
    stage: "failed",
    lastResult: { outcome: "budget_exceeded", retryable: false, message: `not retried: ${message}` },
  });
  const alertOf = async (product: string, jobId: string) => {
    type Alerts = { alerts: Array<{ kind: string; subject: string; message: string }> };
    const read = () => api<Alerts>("GET", `${P(product)}/alerts`, { token: ADMIN });
    const r = await until(read, (a) => a.body.alerts?.some((x) => x.subject === `job:${jobId}`));
    return r.body.alerts.find((x) => x.subject === `job:${jobId}`);
  };

  it("and then failed retryably is not retried: it ends budget_exceeded, and no claim gets it", async () => {
    const product = "job-allowance-spent-failure";
    expect((await retryAtOnce(product)).status).toBe(200);
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "spent", budget: { usd: 2 }, maxAttempts: 3 });
    const { leaseEpoch } = ((await claim(product, f.token)).body as Claimed).lease;
    const building = await patch(product, f.token, job.id, { leaseEpoch, stage: "building", insights: { costUsd: 2 } });
    expect(building.body.stage).toBe("building"); // exactly the budget: within it, no overrun
    const failed = await patch(product, f.token, job.id, { leaseEpoch, stage: "failed", result: failedRetryably });
    expect(failed.body).toMatchObject(spentOut("spent $2.00 of its job budget $2.00: nothing left for another run"));
    expect((await claim(product, f.token)).status).toBe(204);
    expect(await alertOf(product, job.id)).toMatchObject({ kind: "job_budget_exceeded" });
  });

  it("and then was rate limited is not requeued either: nothing is left to run the retry on", async () => {
    const product = "job-allowance-spent-rate-limit";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "spent", budget: { usd: 0.5 }, maxAttempts: 3 });
    const { leaseEpoch } = ((await claim(product, f.token)).body as Claimed).lease;
    const insights = { costUsd: 0.5 };
    expect((await patch(product, f.token, job.id, { leaseEpoch, stage: "building", insights })).status).toBe(200);
    const result = { outcome: "rate_limited", retryAfterSeconds: 0, message: "429" };
    const limited = await patch(product, f.token, job.id, { leaseEpoch, stage: "failed", result });
    expect(limited.body).toMatchObject(spentOut("spent $0.50 of its job budget $0.50: nothing left for another run"));
  });

  it("and then lost its lease is not requeued: the expiry ends it budget_exceeded", async () => {
    const product = "job-allowance-spent-expiry";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "spent", budget: { tokens: 100 }, maxAttempts: 3 });
    const { leaseEpoch } = ((await claim(product, f.token)).body as Claimed).lease;
    const insights = { tokensIn: 60, tokensOut: 40 };
    expect((await patch(product, f.token, job.id, { leaseEpoch, stage: "building", insights })).status).toBe(200);
    await expireLeaseNow(product, job.id);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product)); // the expiry, and no factory is pushed to
    expect(await getJob(product, job.id)).toMatchObject({
      ...spentOut("used 100 tokens of its job budget of 100: nothing left for another run"),
      leaseEpoch: leaseEpoch + 1,
    });
  });

  it("one token spent of a budget of one is said in the singular, in the ending and in a requeue's refusal", async () => {
    const product = "job-allowance-spent-one-token";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "spent", budget: { tokens: 1 }, maxAttempts: 3 });
    const { leaseEpoch } = ((await claim(product, f.token)).body as Claimed).lease;
    const insights = { tokensIn: 1, tokensOut: 0 };
    expect((await patch(product, f.token, job.id, { leaseEpoch, stage: "building", insights })).status).toBe(200);
    const result = { outcome: "rate_limited", retryAfterSeconds: 0, message: "429" };
    const limited = await patch(product, f.token, job.id, { leaseEpoch, stage: "failed", result });
    expect(limited.body).toMatchObject(spentOut("used 1 token of its job budget of 1: nothing left for another run"));
    const refused = await api<{ code?: string; detail?: string }>(
      "POST",
      `${P(product)}/jobs/${job.id}/actions/requeue`,
      { token: ADMIN, json: {} },
    );
    expect(refused.body.code).toBe("budget_exceeded");
    expect(refused.body.detail).toContain(`job ${job.id} has used 1 token, not below its budget of 1`);
  });

  /** A job with `budget` claimed over HTTP by `f` and building, its run's report at `insights` (exactly the budget). */
  const spending = async (product: string, token: string, manifest: Record<string, unknown>, insights: object) => {
    const job = await submit(product, { title: "spent", maxAttempts: 3, ...manifest });
    const { leaseEpoch } = ((await claim(product, token)).body as Claimed).lease;
    const building = await patch(product, token, job.id, { leaseEpoch, stage: "building", insights });
    expect(building.body.stage).toBe("building"); // exactly the budget: within it, no overrun
    return { job, leaseEpoch };
  };
  const usdMessage = "spent $1.00 of its job budget $1.00: nothing left for another run";

  it("and was handed back (released) is not requeued: the release ends it at once, and no claim gets it", async () => {
    const product = "job-allowance-spent-handback";
    const f = await enroll(product, "f");
    const { job, leaseEpoch } = await spending(product, f.token, { budget: { usd: 1 } }, { costUsd: 1 });
    const r = await api<Ended>("POST", `${P(product)}/jobs/${job.id}/lease/release`, {
      token: f.token,
      json: { leaseEpoch },
    });
    expect(r.status).toBe(200);
    expect(await getJob(product, job.id)).toMatchObject({ ...spentOut(usdMessage), leaseEpoch: leaseEpoch + 1 });
    expect(await alertOf(product, job.id)).toMatchObject({ kind: "job_budget_exceeded" });
    const g = await enroll(product, "g");
    expect((await claim(product, g.token)).status).toBe(204);
  });

  it("and lost its factory (revoked, deregistered) is not requeued: it ends budget_exceeded, and is not counted requeued", async () => {
    const product = "job-allowance-spent-revoke";
    for (const how of ["token/revoke", "deregister"] as const) {
      const f = await enroll(product, `f-${how.replace("/", "-")}`);
      const { job } = await spending(product, f.token, { budget: { tokens: 100 } }, { tokensIn: 100 });
      const r =
        how === "deregister"
          ? await api<{ requeued?: number }>("DELETE", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN })
          : await api<{ requeued?: number }>("POST", `${P(product)}/factories/${f.factoryId}/token/revoke`, {
              token: ADMIN,
            });
      expect(r.status, how).toBe(200);
      if (how === "deregister") expect(r.body.requeued, how).toBe(0);
      const ended = await getJob(product, job.id);
      expect(ended, how).toMatchObject(
        spentOut("used 100 tokens of its job budget of 100: nothing left for another run"),
      );
    }
  });

  it("and was preempted is not requeued: the eviction ends it budget_exceeded, and the critical job gets the seat", async () => {
    const product = "job-allowance-spent-preempted";
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      setMeta(state.storage.sql, "settings", JSON.stringify({ ...DEFAULT_SETTINGS, preemption: true }));
    });
    const f = await enroll(product, "f", ["gpu"], 1);
    const { socket } = await connectFactory(product, f.token, { capabilities: ["gpu"] });
    const victim = await submit(product, { title: "spent", priority: "low", requires: ["gpu"], budget: { usd: 1 } });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    const lease = { jobId: victim.id, leaseEpoch: a.leaseEpoch };
    socket.send({ type: "progress", id: "p1", ...lease, stage: "building", insights: { costUsd: 1 } });
    await socket.next("ack");
    const crit = await submit(product, { title: "crit", priority: "critical", requires: ["gpu"] });
    expect(await socket.next<{ jobId: string; reason: string }>("cancel")).toMatchObject({
      jobId: victim.id,
      reason: "preempted",
    });
    expect((await socket.next<AssignFrame>("assign")).assignments.map((x) => x.job.id)).toEqual([crit.id]);
    expect(await getJob(product, victim.id)).toMatchObject({ ...spentOut(usdMessage), preemptedBy: crit.id });
    socket.close();
  });

  it("and was rejected with onReject: requeue is not queued for rework: the rejection ends it budget_exceeded", async () => {
    const product = "job-allowance-spent-rework";
    const f = await enroll(product, "f");
    const manifest = { budget: { usd: 1 }, reviewers: 1, onReject: "requeue" };
    const { job, leaseEpoch } = await spending(product, f.token, manifest, { costUsd: 1 });
    expect((await patch(product, f.token, job.id, { leaseEpoch, stage: "review" })).body.stage).toBe("review");
    const carol = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "operator", name: "carol" },
    });
    const r = await api("POST", `${P(product)}/jobs/${job.id}/reviews`, {
      token: carol.body.token,
      json: { verdict: "reject", comment: "redo it" },
    });
    expect(r.status).toBe(201);
    expect(await getJob(product, job.id)).toMatchObject({ ...spentOut(usdMessage), feedback: "carol: redo it" });
  });

  it("and found spent while queued (its spend mark set by hand) is not assigned: dispatch ends it, claim or push", async () => {
    const product = "job-allowance-spent-late";
    const f = await enroll(product, "f");
    const g = await enroll(product, "g");
    const queuedThenSpent = async () => {
      const { job, leaseEpoch } = await spending(product, f.token, { budget: { usd: 1 } }, { costUsd: 0.5 });
      const r = await api("POST", `${P(product)}/jobs/${job.id}/lease/release`, {
        token: f.token,
        json: { leaseEpoch },
      });
      expect(r.status).toBe(200);
      expect((await getJob(product, job.id)).stage).toBe("queued"); // $0.50 left: handed back to the queue
      // Its run's spend mark raised to exactly the budget behind the coordinator's back (every path that charges a
      // queued job ends it now: late-spend): dispatch's check is the backstop, whatever left such a job queued.
      await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
        state.storage.sql.exec(
          "UPDATE run_spend SET cost_usd = 1 WHERE job_id = ? AND lease_epoch = ?",
          job.id,
          leaseEpoch,
        );
      });
      expect((await getJob(product, job.id)).stage).toBe("queued");
      return job;
    };
    const claimed = await queuedThenSpent();
    expect((await claim(product, g.token)).status).toBe(204);
    expect(await getJob(product, claimed.id)).toMatchObject(spentOut(usdMessage));
    const pushed = await queuedThenSpent();
    const { socket } = await connectFactory(product, g.token); // the connect's pass finds it
    const ended = await until(
      () => getJob(product, pushed.id),
      (j) => j.stage !== "queued",
    );
    expect(ended).toMatchObject(spentOut(usdMessage));
    socket.close();
  });
});
