// Preemption never stops a run while a free seat fits the critical job — an HTTP poller's included: a live poller
// (fresh heartbeats, never a WebSocket) with a free seat takes the job at its next claim, so push dispatch evicts no
// one on a busy socket factory, explain says `free_seat_fits`, and the poller's claim gets the critical job. Before,
// only socket factories were asked: the running job was stopped and requeued while the poller's seat sat free.
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";
import { dispatchSettled } from "./state";

describe("preemption beside an HTTP poller", () => {
  it("evicts nobody while a live poller has a free seat that fits; the poller claims the critical job", async () => {
    const product = "preempt-poller-seat";
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { preemption: true } })).status).toBe(
      200,
    );
    const ws = await enroll(product, "socket-box", [], 1);
    const { socket } = await connectFactory(product, ws.token, { seats: 1 });
    const low = await submit(product, { title: "low", priority: "low" });
    expect((await socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(low.id);
    const poller = await enroll(product, "poller", [], 1);
    expect((await api("POST", `${P(product)}/factories/heartbeat`, { token: poller.token, json: {} })).status).toBe(
      200,
    );

    const crit = await submit(product, { title: "crit", priority: "critical" });
    await dispatchSettled(product);
    expect(socket.frames.filter((f) => f.type === "cancel")).toEqual([]);
    expect(await getJob(product, low.id)).toMatchObject({ stage: "assigned", holderFactoryId: ws.factoryId });
    const explained = await api<{ preemption: { wouldPreempt: unknown; notBecause: string } }>(
      "GET",
      `${P(product)}/jobs/${crit.id}/explain`,
      { token: ADMIN },
    );
    expect(explained.body.preemption).toMatchObject({ wouldPreempt: null, notBecause: "free_seat_fits" });

    const claimed = await claim(product, poller.token);
    expect(claimed.status).toBe(200);
    expect(claimed.body.job.id).toBe(crit.id);
    socket.close();
  });
});
