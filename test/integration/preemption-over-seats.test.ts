// Preemption never stops a run on a factory that runs more jobs than its seats (an operator lowered its seat limit
// while they ran): one eviction frees no seat there, so nobody is evicted and the critical job is not pushed past
// the limit — it waits, and explain says `no_eligible_victim`. Before, a low job was stopped and requeued and the
// critical job pushed onto the factory, now running two jobs on one granted seat.
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, getJob, P, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";
import { dispatchSettled } from "./state";

describe("preemption on a factory over its seats", () => {
  it("evicts nobody where one eviction frees no seat; the critical job waits", async () => {
    const product = "preempt-over-seats";
    const on = await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { preemption: true } });
    expect(on.status).toBe(200);
    const f = await enroll(product, "box", [], 2);
    const { socket } = await connectFactory(product, f.token, { seats: 2 });
    const a = await submit(product, { title: "low-a", priority: "low" });
    const b = await submit(product, { title: "low-b", priority: "low" });
    const pushed = new Set<string>();
    while (pushed.size < 2) {
      for (const x of (await socket.next<AssignFrame>("assign")).assignments) pushed.add(x.job.id);
    }
    expect(pushed).toEqual(new Set([a.id, b.id]));
    // The operator lowers the seat limit to 1 while both run on.
    const lowered = await api("POST", `${P(product)}/factories/${f.factoryId}/capabilities/approve`, {
      token: ADMIN,
      json: { seatLimit: 1 },
    });
    expect(lowered.status).toBe(200);

    const crit = await submit(product, { title: "crit", priority: "critical" });
    await dispatchSettled(product);
    expect(socket.frames.filter((x) => x.type === "cancel")).toEqual([]);
    for (const id of [a.id, b.id]) {
      expect(await getJob(product, id)).toMatchObject({ stage: "assigned", holderFactoryId: f.factoryId });
    }
    expect(await getJob(product, crit.id)).toMatchObject({ stage: "queued" });
    const explained = await api<{ preemption: { wouldPreempt: unknown; notBecause: string } }>(
      "GET",
      `${P(product)}/jobs/${crit.id}/explain`,
      { token: ADMIN },
    );
    expect(explained.body.preemption).toMatchObject({ wouldPreempt: null, notBecause: "no_eligible_victim" });
    socket.close();
  });
});
