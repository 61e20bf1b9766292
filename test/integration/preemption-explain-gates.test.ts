// Explain's preemption verdict agrees with dispatch for a critical job a gate holds: with its serial key frozen, or
// the product's budget paused, push dispatch never reads the job, so it preempts nobody for it — and explain says
// `notBecause: "gated"` (its waitingReason names the gate), not "would preempt" the running low job. Before, explain
// promised an eviction dispatch would never make.
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, getJob, P, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";
import { dispatchSettled } from "./state";

type Explained = {
  preemption: { wouldPreempt: unknown; notBecause: string | null };
  waitingReason: { code: string } | null;
};

/** Preemption on; a one-seat factory connected and running a low job. */
async function busy(product: string) {
  const on = await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { preemption: true } });
  expect(on.status).toBe(200);
  const f = await enroll(product, "box", [], 1);
  const { socket } = await connectFactory(product, f.token);
  const low = await submit(product, { title: "low", priority: "low" });
  expect((await socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(low.id);
  return { socket, low };
}

async function explainOf(product: string, id: string): Promise<Explained> {
  const res = await api<Explained>("GET", `${P(product)}/jobs/${id}/explain`, { token: ADMIN });
  expect(res.status).toBe(200);
  return res.body;
}

describe("explain's preemption verdict for a gated critical job", () => {
  it("a frozen serial key: nobody is evicted, and explain says gated", async () => {
    const product = "preempt-gate-serial";
    const { socket, low } = await busy(product);
    const frozen = await api("POST", `${P(product)}/serial/deploy/freeze`, { token: ADMIN, json: { reason: "x" } });
    expect(frozen.status).toBe(200);
    const crit = await submit(product, { title: "crit", priority: "critical", serialKey: "deploy" });
    await dispatchSettled(product);
    expect(socket.frames.filter((x) => x.type === "cancel")).toEqual([]);
    expect(await getJob(product, low.id)).toMatchObject({ stage: "assigned" });
    const why = await explainOf(product, crit.id);
    expect(why.waitingReason?.code).toBe("serial_key_frozen");
    expect(why.preemption).toMatchObject({ wouldPreempt: null, notBecause: "gated" });
    // Unfrozen, the same job does preempt: the gate was the only reason.
    await api("POST", `${P(product)}/serial/deploy/unfreeze`, { token: ADMIN, json: {} });
    await dispatchSettled(product);
    expect(await getJob(product, crit.id)).toMatchObject({ stage: "assigned" });
    socket.close();
  });

  it("a paused budget: nobody is evicted, and explain says gated", async () => {
    const product = "preempt-gate-budget";
    const { socket, low } = await busy(product);
    const set = await api("PUT", `${P(product)}/budget`, {
      token: ADMIN,
      json: { period: "day", ceilingUsd: 100, onExhausted: "pause" },
    });
    expect(set.status).toBe(200);
    expect((await api("POST", `${P(product)}/budget/pause`, { token: ADMIN })).status).toBe(200);
    const crit = await submit(product, { title: "crit", priority: "critical" });
    await dispatchSettled(product);
    expect(socket.frames.filter((x) => x.type === "cancel")).toEqual([]);
    expect(await getJob(product, low.id)).toMatchObject({ stage: "assigned" });
    const why = await explainOf(product, crit.id);
    expect(why.waitingReason?.code).toBe("budget_paused");
    expect(why.preemption).toMatchObject({ wouldPreempt: null, notBecause: "gated" });
    socket.close();
  });
});
