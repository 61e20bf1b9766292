// A lease that has lapsed (its expiry passed, the alarm not run yet: held here) is the reaper's, whatever takes it
// next (dispatch/forced-loss): a revoke, an operator's requeue, a preemption or a budget stop expires it — its attempt
// counted, the job dead-lettered when that was its last — exactly as had the alarm run first. Each of them handed it
// back with its attempt refunded instead: a job whose every lease lapsed ran on and on, past its maxAttempts.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../src/core/settings.ts";
import { setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit, until } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";
import { holdAlarm, lapseLease } from "./state.ts";

type CancelFrame = { type: "cancel"; jobId: string; leaseEpoch: number; reason: string; code?: string };

/** What the expiry of a job's last attempt leaves, as the alarm's would. */
const EXPIRED_LAST = { stage: "dead_letter", attempt: 1, lastResult: { message: "lease expired on attempt 1 of 1" } };

describe("a lapsed lease taken by force is an expiry", () => {
  it("a revoke: the last attempt dead-letters, an earlier one stays counted", async () => {
    const product = "lapsed-revoke";
    const f = await enroll(product, "f", [], 2);
    const last = await submit(product, { title: "last try", maxAttempts: 1 });
    const first = await submit(product, { title: "first try", maxAttempts: 3 });
    expect((await claim(product, f.token)).body.job.id).toBe(last.id);
    expect((await claim(product, f.token)).body.job.id).toBe(first.id);
    await holdAlarm(product);
    await lapseLease(product, last.id);
    await lapseLease(product, first.id);
    const r = await api("POST", `${P(product)}/factories/${f.factoryId}/token/revoke`, { token: ADMIN });
    expect(r.status).toBe(200);
    expect(await getJob(product, last.id)).toMatchObject(EXPIRED_LAST);
    expect(await getJob(product, first.id)).toMatchObject({ stage: "queued", attempt: 1 });
  });

  it("an operator's requeue: the attempt the lapsed lease used stays counted", async () => {
    const product = "lapsed-requeue";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "x", maxAttempts: 3 });
    expect((await claim(product, f.token)).body.job.id).toBe(job.id);
    await holdAlarm(product);
    await lapseLease(product, job.id);
    const r = await api("POST", `${P(product)}/jobs/${job.id}/actions/requeue`, { token: ADMIN, json: {} });
    expect(r.status).toBe(200);
    expect(await getJob(product, job.id)).toMatchObject({ stage: "queued", attempt: 1, leaseEpoch: 2 });
  });

  it("a preemption: the victim is expired (cancel 'lease expired' before the assign), not preempted", async () => {
    const product = "lapsed-preempt";
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      setMeta(state.storage.sql, "settings", JSON.stringify({ ...DEFAULT_SETTINGS, preemption: true }));
    });
    const f = await enroll(product, "f", ["gpu"], 1);
    const { socket } = await connectFactory(product, f.token, { capabilities: ["gpu"] });
    const victim = await submit(product, { title: "victim", priority: "low", requires: ["gpu"], maxAttempts: 1 });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(a.job.id).toBe(victim.id);
    await holdAlarm(product);
    await lapseLease(product, victim.id);
    const crit = await submit(product, { title: "crit", priority: "critical", requires: ["gpu"] });
    const cancel = await socket.next<CancelFrame>("cancel");
    const lapsed = { reason: "lease expired", code: "lease_expired" }; // said by the agent as a lost lease
    expect(cancel).toEqual({ type: "cancel", jobId: victim.id, leaseEpoch: a.leaseEpoch, ...lapsed });
    expect((await socket.next<AssignFrame>("assign")).assignments.map((x) => x.job.id)).toEqual([crit.id]);
    const after = socket.arrivals.slice(socket.arrivals.indexOf("assign") + 1);
    expect(after.filter((t) => t === "cancel" || t === "assign")).toEqual(["cancel", "assign"]);
    const v = await getJob(product, victim.id);
    expect(v).toMatchObject(EXPIRED_LAST);
    expect(v.preemptedBy).toBeUndefined();
    socket.close();
  });

  it("a budget stop: a lapsed lease among the stopped ones is expired, its last attempt dead-lettered", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("lapsed-budget-stop");
      const budget = { period: "day", ceilingUsd: 1, onExhausted: "stop" };
      expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: budget })).status).toBe(200);
      const f = await enroll(product, "f", [], 2);
      const { socket } = await connectFactory(product, f.token, { seats: 2 });
      const spender = await submit(product, { title: "spender" });
      const lapsed = await submit(product, { title: "lapsed", maxAttempts: 1 });
      const pushed: AssignFrame["assignments"] = [];
      while (pushed.length < 2) pushed.push(...(await socket.next<AssignFrame>("assign")).assignments);
      const epochOf = (id: string) => pushed.find((x) => x.job.id === id)!.leaseEpoch;
      await holdAlarm(product);
      await lapseLease(product, lapsed.id);
      const frame = { jobId: spender.id, leaseEpoch: epochOf(spender.id), insights: { costUsd: 1.25 } };
      socket.send({ type: "progress", id: "spend", ...frame });
      expect(await socket.answer("spend")).toMatchObject({ type: "ack" });
      expect(await getJob(product, lapsed.id)).toMatchObject(EXPIRED_LAST);
      const stopped = await until(
        () => getJob(product, spender.id),
        (j) => j.stage === "queued",
      );
      expect(stopped.attempt).toBe(0); // the live one's stop is a hand-back, refunded as before
      socket.close();
    }));
});
