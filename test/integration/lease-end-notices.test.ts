// A connected factory hears of every lease the coordinator ends without it (factories/notices): a lease expired by the
// alarm gets a `cancel` ("lease expired") before the `assign` for the seat it freed; a revoked or deregistered
// factory gets a `cancel` per job it held, before the `revoke` frame and the close — the agent had no `cancel` for
// either, so its engine ran on, spending the user's tokens, until its next report was fenced. A factory the
// coordinator quarantines on its own (error budget) gets a `drain`, as one an operator quarantines does.
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P, submit, until } from "./client.ts";
import { failedIntoQuarantine } from "./error-budget-quarantine.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";
import { expireLeaseNow, runExpiry } from "./state.ts";

type CancelFrame = { type: "cancel"; jobId: string; leaseEpoch: number; reason: string; code?: string };

/** A one-seat factory, connected, running job `x`, and job `y` queued behind it. */
async function runningOne(product: string) {
  const f = await enroll(product, "f");
  const { socket } = await connectFactory(product, f.token);
  const x = await submit(product, { title: "x", maxAttempts: 3 });
  const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
  expect(a.job.id).toBe(x.id);
  const y = await submit(product, { title: "y, waiting for the seat" });
  return { f, socket, x, epoch: a.leaseEpoch, y };
}

describe("a lease ended without its holder", () => {
  it("expired by the alarm: the connected holder gets a cancel, before the assign for the freed seat", async () => {
    const product = "lease-end-expiry";
    const { socket, x, epoch, y } = await runningOne(product);
    await expireLeaseNow(product, x.id);
    await runExpiry(product, x.id);
    const cancel = await socket.next<CancelFrame>("cancel");
    const code = "lease_expired"; // the agent says it as a lost lease, not an operator's cancel (agent/lease-notices)
    expect(cancel).toEqual({ type: "cancel", jobId: x.id, leaseEpoch: epoch, reason: "lease expired", code });
    // The seat freed goes to y (x is kept from this factory for a backoff): its assign came after the cancel.
    const next = await socket.next<AssignFrame>("assign");
    expect(next.assignments.map((a) => a.job.id)).toEqual([y.id]);
    const after = socket.arrivals.slice(socket.arrivals.indexOf("assign") + 1);
    expect(after.filter((t) => t === "cancel" || t === "assign")).toEqual(["cancel", "assign"]);
    socket.close();
  });

  for (const how of ["revoke", "deregister"] as const) {
    it(`a ${how}: the holder gets a cancel for its job, then the revoke frame and the close`, async () => {
      const product = `lease-end-${how}`;
      const { f, socket, x, epoch } = await runningOne(product);
      const r =
        how === "revoke"
          ? await api("POST", `${P(product)}/factories/${f.factoryId}/token/revoke`, { token: ADMIN })
          : await api("DELETE", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN });
      expect(r.status).toBe(200);
      const why = how === "revoke" ? "factory token revoked" : "factory deregistered";
      expect(await socket.next<CancelFrame>("cancel")).toEqual({
        type: "cancel",
        jobId: x.id,
        leaseEpoch: epoch,
        reason: why,
        code: how === "revoke" ? "revoked" : "deregistered",
      });
      expect(await socket.next("revoke")).toMatchObject({ reason: why });
      // Closed with the revoke's own reason, which the agent says (agent/close-codes): "revoked" for both told a
      // removed factory's agent that its token was revoked.
      expect(await socket.waitClosed()).toMatchObject({ code: 4001, reason: why });
      const after = socket.arrivals.slice(socket.arrivals.indexOf("assign") + 1);
      expect(after).toEqual(["cancel", "revoke"]);
    });
  }
});

describe("a factory quarantined by the coordinator itself", () => {
  it("gets a drain frame, as after an operator's quarantine", async () => {
    const product = "lease-end-auto-quarantine";
    const { f, socket } = await failedIntoQuarantine(product);
    const drain = await socket.next<{ type: "drain"; reason: string }>("drain");
    const reason = "quarantined: more than 1 failed run within 60 min";
    expect(drain).toEqual({ type: "drain", reason, status: "quarantined" });
    const status = await until(
      async () =>
        (await api<{ status: string }>("GET", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN })).body,
      (b) => b.status === "quarantined",
    );
    expect(status.status).toBe("quarantined");
    socket.close();
  });
});

describe("a factory an operator drains or quarantines", () => {
  it("gets a drain frame whose status says which, not left to the reason's first word", async () => {
    const product = "lease-end-operator-drain";
    const f = await enroll(product, "host");
    const { socket } = await connectFactory(product, f.token);
    for (const status of ["draining", "quarantined"] as const) {
      const set = await api("POST", `${P(product)}/factories/${f.factoryId}/status`, {
        token: ADMIN,
        json: { status },
      });
      expect(set.status).toBe(200);
      const drain = await socket.next<{ type: "drain"; reason: string; status?: string }>("drain");
      expect(drain).toMatchObject({ type: "drain", status });
    }
    socket.close();
  });
});
