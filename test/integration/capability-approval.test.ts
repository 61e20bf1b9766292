// A factory's own hello or heartbeat cannot widen what enrollment granted: capabilities beyond the enrolled set wait
// for an operator's (audited) approval before they route work, and seats stay within the enrolled limit.
import { describe, expect, it } from "vitest";
import type { Factory } from "../../src/core/model.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";

type FactoryView = Factory & { pendingCapabilities?: string[]; declaredCapabilities?: string[]; seatLimit?: number };

const factoryOf = async (product: string, id: string) =>
  (await api<FactoryView>("GET", `${P(product)}/factories/${id}`, { token: ADMIN })).body;

describe("capabilities declared beyond enrollment", () => {
  it("a hello declaring gpu gets no gpu job until an operator approves gpu", async () => {
    const product = "caps-hello";
    const f = await enroll(product, "f", ["os:linux"]);
    const { socket } = await connectFactory(product, f.token, { capabilities: ["os:linux", "gpu"] });
    const job = await submit(product, { title: "train", requires: ["gpu"] });
    const plain = await submit(product, { title: "plain" });
    // The plain job is pushed; the gpu one is not.
    const first = (await socket.next<AssignFrame>("assign")).assignments.map((a) => a.job.id);
    expect(first).toEqual([plain.id]);
    expect((await getJob(product, job.id)).stage).toBe("queued");
    const view = await factoryOf(product, f.factoryId);
    expect(view.capabilities).toEqual(["os:linux"]);
    expect(view.pendingCapabilities).toEqual(["gpu"]);
    expect(view.declaredCapabilities).toEqual(["gpu", "os:linux"]);
    const listed = await api<{ factories: FactoryView[] }>("GET", `${P(product)}/factories`, { token: ADMIN });
    expect(listed.body.factories[0]!.pendingCapabilities).toEqual(["gpu"]);

    // A viewer cannot approve; an operator can.
    const viewer = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "v" },
    });
    const refused = await api("POST", `${P(product)}/factories/${f.factoryId}/capabilities/approve`, {
      token: viewer.body.token,
      json: {},
    });
    expect(refused.status).toBe(403);
    const approved = await api<FactoryView>("POST", `${P(product)}/factories/${f.factoryId}/capabilities/approve`, {
      token: ADMIN,
      json: { capabilities: ["gpu"] },
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ capabilities: ["gpu", "os:linux"], pendingCapabilities: [] });
    // The approval is audited, naming the operator and what was approved.
    type Audit = { items: Array<{ action: string; actor: string; data?: unknown }> };
    const deadline = Date.now() + 10_000;
    let audit = await api<Audit>("GET", `${P(product)}/history?kind=audit`, { token: ADMIN });
    while (!audit.body.items.some((a) => a.action === "factory.grant.approve") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      audit = await api<Audit>("GET", `${P(product)}/history?kind=audit`, { token: ADMIN });
    }
    expect(audit.body.items.find((a) => a.action === "factory.grant.approve")).toMatchObject({ actor: "admin" });
    // Freeing the seat pushes the gpu job now.
    const a = (await getJob(product, plain.id)).leaseEpoch;
    socket.send({ type: "complete", id: "c", jobId: plain.id, leaseEpoch: a, result: { outcome: "success" } });
    await socket.next("ack");
    expect((await socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(job.id);
    socket.close();
  });

  it("refuses to approve a capability the factory never declared", async () => {
    const product = "caps-undeclared";
    const f = await enroll(product, "f");
    const r = await api<{ code: string }>("POST", `${P(product)}/factories/${f.factoryId}/capabilities/approve`, {
      token: ADMIN,
      json: { capabilities: ["gpu"] },
    });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("conflict");
  });

  it("an HTTP heartbeat declaring gpu cannot claim a gpu job either", async () => {
    const product = "caps-heartbeat";
    const f = await enroll(product, "f");
    await submit(product, { title: "train", requires: ["gpu"] });
    const hb = await api<{ factory: FactoryView }>("POST", `${P(product)}/factories/heartbeat`, {
      token: f.token,
      json: { capabilities: ["gpu"], seats: 8 },
    });
    expect(hb.body.factory).toMatchObject({ capabilities: [], pendingCapabilities: ["gpu"], seats: 1 });
    expect((await claim(product, f.token)).status).toBe(204);
  });

  it("bounds the seats a hello declares by the enrolled seats", async () => {
    const product = "caps-seats";
    const f = await enroll(product, "f", [], 2);
    for (let i = 0; i < 4; i++) await submit(product, { title: `j${i}` });
    const { socket } = await connectFactory(product, f.token, { seats: 64 });
    expect((await socket.next<AssignFrame>("assign")).assignments).toHaveLength(2);
    expect(await factoryOf(product, f.factoryId)).toMatchObject({ seats: 2, seatLimit: 2 });
    socket.close();
  });
});
