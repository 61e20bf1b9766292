// A factory hears that a running job was taken from it (`cancel`) before it is pushed work for the seat that freed:
// after an operator's cancel or requeue, a review's reject, a composite's cancel reaching a running child, and a run
// ended over its own budget by a progress frame. The cancel went out after the unit's dispatch pass (an operator's
// once the unit had settled; a stop notice in that settling), so the pass's `assign` for the freed seat came first:
// the agent still counted the seat as taken, refused the job with `release` ("no free seat") and was kept from it
// for a backoff. The cancel (or notice) now goes out at the commit, before the pass — as a preemption's always did.
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, mintToken, P, submit } from "./client.ts";
import { type AssignFrame, connectFactory, type TestSocket } from "./sockets.ts";

/** A one-seat factory running job `x`, and job `y` queued behind it: `{socket, x, y}`. */
async function fullFactory(product: string, running: Record<string, unknown> = { title: "x" }) {
  const f = await enroll(product, "f");
  const { socket } = await connectFactory(product, f.token);
  const x = await submit(product, running);
  const assigned = (await socket.next<AssignFrame>("assign")).assignments[0]!;
  const y = await submit(product, { title: "y, waiting for the seat" });
  return { socket, x, assigned, y };
}

/** The frame types the socket got after its first `assign`: the cancel, and the `assign` of `yId` for the freed seat. */
async function afterTaking(socket: TestSocket, yId: string): Promise<string[]> {
  await socket.next("cancel");
  const next = await socket.next<AssignFrame>("assign");
  expect(next.assignments.map((a) => a.job.id)).toEqual([yId]);
  socket.close();
  return socket.arrivals.slice(socket.arrivals.indexOf("assign") + 1).filter((t) => t === "cancel" || t === "assign");
}

describe("a seat freed by taking its job away", () => {
  for (const action of ["cancel", "requeue"] as const) {
    it(`an operator's ${action}: the cancel comes before the assign for the freed seat`, async () => {
      const product = `seat-order-${action}`;
      const { socket, x, y } = await fullFactory(product);
      const r = await api("POST", `${P(product)}/jobs/${x.id}/actions/${action}`, { token: ADMIN, json: {} });
      expect(r.status).toBe(200);
      expect(await afterTaking(socket, y.id)).toEqual(["cancel", "assign"]);
    });
  }

  it("a review's reject of a running job: the cancel comes first", async () => {
    const product = "seat-order-reject";
    const { socket, x, y } = await fullFactory(product);
    const operator = await mintToken(product, "operator", "reviewer");
    const r = await api("POST", `${P(product)}/jobs/${x.id}/reviews`, {
      token: operator.token,
      json: { verdict: "reject" },
    });
    expect(r.status).toBe(201);
    expect(await afterTaking(socket, y.id)).toEqual(["cancel", "assign"]);
  });

  it("a composite's cancel reaching its running child: the child's cancel comes first", async () => {
    const product = "seat-order-cascade";
    const { socket, x, assigned, y } = await fullFactory(product, { title: "parent", children: [{ title: "child" }] });
    expect(assigned.job.parentId).toBe(x.id);
    const r = await api("POST", `${P(product)}/jobs/${x.id}/actions/cancel`, { token: ADMIN, json: {} });
    expect(r.status).toBe(200);
    expect(await afterTaking(socket, y.id)).toEqual(["cancel", "assign"]);
  });

  it("a run ended over its own budget by a progress frame: the cancel comes first", async () => {
    const product = "seat-order-overrun";
    const { socket, x, assigned, y } = await fullFactory(product, { title: "x", budget: { usd: 1 } });
    socket.send({ type: "progress", id: "p", jobId: x.id, leaseEpoch: assigned.leaseEpoch, insights: { costUsd: 2 } });
    expect(await socket.answer("p")).toMatchObject({ type: "ack", result: { stage: "failed" } });
    expect(await afterTaking(socket, y.id)).toEqual(["cancel", "assign"]);
  });
});
