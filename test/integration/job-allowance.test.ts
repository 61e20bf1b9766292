// An assignment carries what is left of its job's budget (`allowance`, policies/job-allowance): the manifest's
// budget.usd / tokens bound the whole job, so after a first run spent part of them and failed retryably, the retry's
// assignment — a WebSocket `assign`, a `welcome`'s lease on reconnect, and an HTTP claim — carries the budget less
// that spend, for the agent to stop the run there (it had held every run to the whole budget again). A job with no
// spend yet gets its whole budget; a job with no usd/tokens limit gets no allowance, and its claim reads no spend.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Assignment } from "../../src/shared/protocol.ts";
import { ADMIN, api, claim, enroll, P, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";
import { recordStatements } from "./state";

type Claimed = { lease: { leaseEpoch: number }; allowance?: Assignment["allowance"] };
const patch = (product: string, token: string, jobId: string, json: Record<string, unknown>) =>
  api<{ stage: string }>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json });
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
