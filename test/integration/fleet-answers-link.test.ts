// A factory's link reads the same wherever the fleet view is answered, end to end with real sockets. The status,
// approve, enroll, rotate and revoke answers carry `connected`, `disconnectedAt` and the breakers as GET …/factories/{id} does — they carried
// the stored record only, so a dashboard card drawn from an approval's answer said no link until the next poll. A
// factory whose socket ended and that polls over HTTP now (a heartbeat, a claim) reads connected while it does, as a
// factory that only ever polled does, and the waiting reasons count it (it claims the job they wait for) — it read
// `connected: false` by its old socket's end; once it says hello again its socket decides again. Its lease held over
// HTTP gets the outage grace after a coordinator outage as a poller's does (dispatch/outage-grace): it was read as a
// socket holder whose close was seen, and expired though its agent polled on.
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, getJob, P, submit, until } from "./client.ts";
import { type FleetFactory, listed } from "./fleet-read.ts";
import { connectFactory } from "./sockets.ts";
import { expireLeaseNow, restartCoordinator } from "./state.ts";

type Answered = FleetFactory & { breakers: unknown[]; changed?: boolean };

/** The job's waiting reason code, or null (client's JobView leaves it untyped). */
const reasonCode = async (product: string, id: string) =>
  ((await getJob(product, id)).waitingReason as { code?: string } | undefined)?.code ?? null;

/** The fleet view of the factory once its list entry reads `connected` as asked (a close lands after the client's). */
const listedWhen = (product: string, factoryId: string, connected: boolean) =>
  until(
    () => listed(product, factoryId),
    (f) => f.connected === connected,
    { what: `factory ${factoryId} listed with connected: ${connected}` },
  );

async function single(product: string, factoryId: string): Promise<Answered> {
  const r = await api<Answered>("GET", `${P(product)}/factories/${factoryId}`, { token: ADMIN });
  expect(r.status).toBe(200);
  return r.body;
}

async function setStatus(product: string, factoryId: string, status: string): Promise<Answered> {
  const r = await api<Answered>("POST", `${P(product)}/factories/${factoryId}/status`, {
    token: ADMIN,
    json: { status },
  });
  expect(r.status).toBe(200);
  return r.body;
}

describe("the link in a factory action's answer", () => {
  it("the status and approve answers say the link and breakers as the single read does", async () => {
    const product = "fleet-answers-link";
    const f = await enroll(product, "host");
    const { socket } = await connectFactory(product, f.token);
    const draining = await setStatus(product, f.factoryId, "draining");
    expect(draining).toMatchObject({ status: "draining", connected: true, disconnectedAt: null, breakers: [] });

    socket.close();
    const gone = await listedWhen(product, f.factoryId, false);
    expect(gone.disconnectedAt).toEqual(expect.any(Number));
    const active = await setStatus(product, f.factoryId, "active");
    expect(active).toMatchObject({ status: "active", connected: false, disconnectedAt: gone.disconnectedAt });
    const approved = await api<Answered>("POST", `${P(product)}/factories/${f.factoryId}/capabilities/approve`, {
      token: ADMIN,
      json: { seatLimit: 2 },
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ changed: true, seatLimit: 2, breakers: [] });
    const read = await single(product, f.factoryId);
    for (const answer of [active, approved.body]) {
      expect({ connected: answer.connected, disconnectedAt: answer.disconnectedAt }).toEqual({
        connected: read.connected,
        disconnectedAt: read.disconnectedAt,
      });
    }
  });
});

// Whole kind: every answer that returns a factory. Enroll, rotate and revoke carried the stored record alone (no
// link, no breakers); a rotation's and a revocation's sockets close in the unit's answer, so the answer reads them
// ended — read open at the unit, it said `connected: true` of a factory whose sockets closed as it was sent.
describe("the enroll, rotate and revoke answers", () => {
  it("carry the factory as the list gives it: its link (ended by a rotation or a revocation) and its breakers", async () => {
    const product = "fleet-answers-enroll";
    const enrolled = await api<{ factoryId: string; token: string; factory: Answered }>(
      "POST",
      `${P(product)}/factories/enroll`,
      { token: ADMIN, json: { name: "host", capabilities: [], seats: 1 } },
    );
    expect(enrolled.status).toBe(201);
    expect(enrolled.body.factory).toMatchObject({ connected: false, disconnectedAt: null, breakers: [] });

    const { socket } = await connectFactory(product, enrolled.body.token);
    expect(await listed(product, enrolled.body.factoryId)).toMatchObject({ connected: true });
    const before = Date.now();
    const rotated = await api<{ factory: Answered }>(
      "POST",
      `${P(product)}/factories/${enrolled.body.factoryId}/token/rotate`,
      { token: ADMIN },
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.factory).toMatchObject({ connected: false, breakers: [] });
    expect(rotated.body.factory.disconnectedAt).toBeGreaterThanOrEqual(before);
    const read = await single(product, enrolled.body.factoryId);
    expect(read).toMatchObject({ connected: false, disconnectedAt: rotated.body.factory.disconnectedAt });
    socket.close();

    const revoked = await api<Answered>("POST", `${P(product)}/factories/${enrolled.body.factoryId}/token/revoke`, {
      token: ADMIN,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: "revoked", connected: false, breakers: [] });
    const after = await single(product, enrolled.body.factoryId);
    expect({ connected: revoked.body.connected, disconnectedAt: revoked.body.disconnectedAt }).toEqual({
      connected: after.connected,
      disconnectedAt: after.disconnectedAt,
    });
  });
});

describe("a factory that switches from its socket to HTTP polling", () => {
  it("reads connected while it polls, is counted by the waiting reason and claims; its socket decides again after a hello", async () => {
    const product = "fleet-answers-switch";
    const f = await enroll(product, "switcher");
    const first = await connectFactory(product, f.token);
    first.socket.close();
    await listedWhen(product, f.factoryId, false);
    const job = await submit(product, { title: "t" });
    await until(
      () => reasonCode(product, job.id),
      (code) => code === "no_factory_connected",
      { what: "the job waiting with no factory connected" },
    );

    expect((await api("POST", `${P(product)}/factories/heartbeat`, { token: f.token, json: {} })).status).toBe(200);
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: true, disconnectedAt: null, health: "ok" });
    expect(await single(product, f.factoryId)).toMatchObject({ connected: true, disconnectedAt: null });
    // The waiting reason counts it as the view does: the job waits for its claim, not for a factory to connect.
    expect((await getJob(product, job.id)).waitingReason).toMatchObject({
      code: "dispatching",
      detail: { factoryId: f.factoryId },
    });
    const claimed = await claim(product, f.token);
    expect(claimed.status).toBe(200);
    expect(claimed.body.job.id).toBe(job.id);
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: true, disconnectedAt: null });

    // Back on a socket: its hello is its latest beat, so that socket's close reads disconnected again, with when.
    const again = await connectFactory(product, f.token);
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: true, disconnectedAt: null });
    const closedAt = Date.now();
    again.socket.close();
    const gone = await listedWhen(product, f.factoryId, false);
    expect(gone.disconnectedAt).toBeGreaterThanOrEqual(closedAt);
  });

  it("keeps a lease it claimed over HTTP through a coordinator outage, as a poller's (the outage grace)", async () => {
    const product = "fleet-answers-switch-outage";
    const f = await enroll(product, "switcher");
    const first = await connectFactory(product, f.token);
    first.socket.close();
    await listedWhen(product, f.factoryId, false);
    const job = await submit(product, { title: "t" });
    const claimed = await claim(product, f.token);
    expect(claimed.body.job.id).toBe(job.id);
    await expireLeaseNow(product, job.id, 60_000); // a minute overdue: the coordinator was down (core/outage-grace)
    await restartCoordinator(product);
    const after = await getJob(product, job.id);
    expect(after).toMatchObject({ stage: "assigned", holderFactoryId: f.factoryId });
    expect(after.leaseExpiresAt).toBeGreaterThanOrEqual(Date.now() + 25_000);
  });
});
