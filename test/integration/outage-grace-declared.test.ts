// A socket holder that declares its capabilities over HTTP keeps the socket holder's outage grace: an agent ON its
// socket beats over HTTP too (agent/engine-offer: `POST /factories/heartbeat` when an engine is withdrawn, restored or
// found installed), and that beat stamped it a poller (`polledAt`, core/factory-link) until its next socket beat —
// so a coordinator restart in that window graced its lease only when 5 s overdue, and a lease a few seconds from its
// end expired before the agent was back: a healthy host's work lost and the job run twice (a pass-42 review). An HTTP
// call from a factory whose socket is open on the coordinator is a beat, not a poll (factories/registry httpBeat,
// factories/admin heartbeat). outage-links' first case, the same steps without the declaration, is the guard.
import { describe, expect, it } from "vitest";
import { api, enroll, getJob, P, submit } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets";
import { expireLeaseNow, restartCoordinator } from "./state.ts";

describe("the outage grace of a socket holder that declared its capabilities over HTTP", () => {
  it("extends its lease as a socket holder's, though its latest beat was the HTTP declaration", async () => {
    const product = "grace-declared";
    const f = await enroll(product, "f", ["os:linux"]);
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "long build" });
    const assign = await socket.next<AssignFrame>("assign");
    const epoch = assign.assignments[0]?.leaseEpoch ?? 0;
    // The agent, still on its socket, declares what it offers now (an engine withdrawn): agent/engine-offer.
    const declared = await api("POST", `${P(product)}/factories/heartbeat`, {
      token: f.token,
      json: { capabilities: ["os:linux"] },
    });
    expect(declared.status).toBe(200);
    await expireLeaseNow(product, job.id, -3_000); // 3 s left: no lease 5 s overdue
    await restartCoordinator(product); // the socket goes down with the coordinator
    const after = await getJob(product, job.id);
    expect(after).toMatchObject({ stage: "assigned", leaseEpoch: epoch, holderFactoryId: f.factoryId });
    expect(after.leaseExpiresAt).toBeGreaterThanOrEqual(Date.now() + 25_000);
  });
});
