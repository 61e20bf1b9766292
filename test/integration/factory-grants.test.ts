// A factory gets only what the operator granted: enrollment codes and capability approval. An enrollment code binds
// the name and seats it was minted for, and a hello or heartbeat cannot widen the enrolled capabilities or seats
// without an operator's approval (the `welcome` tells the agent which capabilities it is routed on and which wait);
// a job that only such a pending capability could run says it waits for that approval, naming the factory and
// `gigafactory factory approve <id>`.

import { describe, expect, it } from "vitest";
import type { Factory } from "../../src/core/model.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit, until } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";

// One-time enrollment codes bind what the operator minted them for (found open by a hostile-input reviewer: a code
// carried only its lifetime, so whoever redeemed it chose the host name and 64 seats). A code minted with a name
// enrolls only that host — another name is refused and the code stays usable — and a code minted with seats caps
// the redeeming host's seat limit, whatever it asks for. A code minted with neither works as before: the host's
// first declaration is its grant. Either way a code works once.

type Code = { code: string; name?: string; seats?: number };
type Enrolled = { factoryId: string; factory: { name: string; seatLimit: number; approvedCapabilities: string[] } };

const mint = (product: string, json: Record<string, unknown>) =>
  api<Code & { code: string }>("POST", `${P(product)}/factories/enrollment-codes`, { token: ADMIN, json });
const redeem = (product: string, code: string, json: Record<string, unknown>) =>
  api<Enrolled & { code?: string; detail?: string }>("POST", `${P(product)}/factories/enroll`, {
    token: code,
    json,
  });

describe("enrollment codes", () => {
  it("bound to a name and seats: another name is refused (the code kept), more seats are capped", async () => {
    const product = "codes-bound";
    const minted = await mint(product, { name: "gpu-host-1", seats: 2 });
    expect(minted.status).toBe(201);
    expect(minted.body).toMatchObject({ name: "gpu-host-1", seats: 2 });
    const code = minted.body.code;

    const wrong = await redeem(product, code, { name: "someone-else", capabilities: ["gpu"], seats: 2 });
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe("forbidden");
    // The refusal does not name the bound host: a stolen code must not tell its holder the name that redeems it.
    expect(wrong.body.detail).not.toContain("gpu-host-1");
    expect(JSON.stringify(wrong.body)).not.toContain("gpu-host-1");

    const ok = await redeem(product, code, { name: "gpu-host-1", capabilities: ["gpu"], seats: 64 });
    expect(ok.status).toBe(201);
    expect(ok.body.factory).toMatchObject({ name: "gpu-host-1", seatLimit: 2 });

    const again = await redeem(product, code, { name: "gpu-host-1", seats: 1 });
    expect(again.status).toBe(401); // used up
    const listed = await api<{ factories: Array<{ name: string }> }>("GET", `${P(product)}/factories`, {
      token: ADMIN,
    });
    expect(listed.body.factories.map((f) => f.name)).toEqual(["gpu-host-1"]);
  });

  it("works once under concurrency, and not on another product's path (where it is not used up)", async () => {
    const product = "codes-race";
    const { code } = (await mint(product, {})).body;
    const elsewhere = await redeem("codes-race-other", code, { name: "thief" });
    expect(elsewhere.status).toBe(403);
    const tries = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => redeem(product, code, { name: `racer-${i}` })));
    expect(tries.map((t) => t.status).sort()).toEqual([201, 401, 401, 401, 401, 401]);
    const listed = await api<{ factories: unknown[] }>("GET", `${P(product)}/factories`, { token: ADMIN });
    expect(listed.body.factories).toHaveLength(1);
  });

  it("a host asking for fewer seats than the code allows gets what it asked for", async () => {
    const product = "codes-fewer";
    const { code } = (await mint(product, { seats: 8 })).body;
    const ok = await redeem(product, code, { name: "small", seats: 3 });
    expect(ok.body.factory.seatLimit).toBe(3);
  });

  it("unbound: the host's first declaration is its grant, as before", async () => {
    const product = "codes-unbound";
    const minted = await mint(product, {});
    expect(minted.body.name).toBeUndefined();
    const ok = await redeem(product, minted.body.code, { name: "any", capabilities: ["os:linux"], seats: 4 });
    expect(ok.status).toBe(201);
    expect(ok.body.factory).toMatchObject({ name: "any", seatLimit: 4, approvedCapabilities: ["os:linux"] });
  });

  it("refuses a bad binding at minting: a name that is no host name, seats out of range", async () => {
    const product = "codes-bad";
    for (const json of [{ name: "a/b" }, { name: "" }, { seats: 0 }, { seats: 65 }, { seats: 1.5 }]) {
      const r = await mint(product, json);
      expect(r.status, JSON.stringify(json)).toBe(400);
    }
  });
});

// A factory's own hello or heartbeat cannot widen what enrollment granted: capabilities beyond the enrolled set wait
// for an operator's (audited) approval before they route work, and seats stay within the enrolled limit — which
// `welcome` (and a `grant` frame, when an operator changes it) tells the agent, so it runs no more.

type FactoryView = Factory & { pendingCapabilities?: string[]; declaredCapabilities?: string[]; seatLimit?: number };

const factoryOf = async (product: string, id: string) =>
  (await api<FactoryView>("GET", `${P(product)}/factories/${id}`, { token: ADMIN })).body;

describe("capabilities declared beyond enrollment", () => {
  it("a hello declaring gpu gets no gpu job until an operator approves gpu", async () => {
    const product = "caps-hello";
    const f = await enroll(product, "f", ["os:linux"]);
    const { socket, welcome } = await connectFactory(product, f.token, { capabilities: ["os:linux", "gpu"] });
    // The agent is told what it is routed on and what waits (its log listed the unapproved one as a granted cap).
    expect(welcome).toMatchObject({ capabilities: ["os:linux"], pendingCapabilities: ["gpu"] });
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
    const audit = await until(
      () => api<Audit>("GET", `${P(product)}/history?kind=audit`, { token: ADMIN }),
      (r) => r.body.items.some((a) => a.action === "factory.grant.approve"),
    );
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

  it("a job only a pending capability could run waits for its approval, naming the factory and the command", async () => {
    const product = "caps-pending-reason";
    const f = await enroll(product, "box-7", ["os:linux"]);
    await api("POST", `${P(product)}/factories/heartbeat`, {
      token: f.token,
      json: { capabilities: ["os:linux", "gpu"] },
    });
    const job = await submit(product, { title: "train", requires: ["gpu"] });
    type Why = { waitingReason: { code: string; message: string; detail: Record<string, unknown> } };
    const why = await api<Why>("GET", `${P(product)}/jobs/${job.id}/explain`, { token: ADMIN });
    // It used to say "waiting for a factory with gpu — none is enrolled" while box-7 had gpu awaiting approval.
    expect(why.body.waitingReason).toMatchObject({
      code: "no_capable_factory",
      message: `waiting for an operator to approve gpu on box-7 — run \`gigafactory factory approve ${f.factoryId}\``,
      detail: { missing: ["gpu"], pendingApproval: [{ id: f.factoryId, name: "box-7", capabilities: ["gpu"] }] },
    });
    // The job's own read carries the same reason (one rule: core/waiting).
    const read = await api<Why>("GET", `${P(product)}/jobs/${job.id}`, { token: ADMIN });
    expect(read.body.waitingReason.message).toBe(why.body.waitingReason.message);
  });

  it("bounds the seats a hello declares by the enrolled seats, and tells the agent what it is granted", async () => {
    const product = "caps-seats";
    const f = await enroll(product, "f", [], 2);
    for (let i = 0; i < 4; i++) await submit(product, { title: `j${i}` });
    const { socket, welcome } = await connectFactory(product, f.token, { seats: 64 });
    // The agent runs what welcome grants (it said "64 seats" while the router pushed 2).
    expect(welcome).toMatchObject({ seats: 2, seatLimit: 2 });
    expect((await socket.next<AssignFrame>("assign")).assignments).toHaveLength(2);
    expect(await factoryOf(product, f.factoryId)).toMatchObject({ seats: 2, seatLimit: 2 });
    // An operator raises the limit: the connected agent is told the new grant, then more work is pushed.
    const approved = await api("POST", `${P(product)}/factories/${f.factoryId}/capabilities/approve`, {
      token: ADMIN,
      json: { seatLimit: 3 },
    });
    expect(approved.status).toBe(200);
    expect(await socket.next("grant")).toEqual({ type: "grant", seats: 3, seatLimit: 3 });
    expect((await socket.next<AssignFrame>("assign")).assignments).toHaveLength(1);
    expect(socket.arrivals.slice(-2)).toEqual(["grant", "assign"]); // told before the third job came
    socket.close();
  });
});
