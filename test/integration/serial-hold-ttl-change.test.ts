// A serial stop hold outlasts the engine whatever the product's lease TTL did since the lease was granted (SPEC §6
// "one at a time"; core/serial-holds): an agent that hears nothing more runs its engine until the last expiry it
// heard plus max(TTL it was granted, 30 s). An operator who lowers `leaseTtlSeconds` while a job runs does not shorten
// that — its agent may be partitioned, or its renewal's answer lost — so the key stays held until then, not until the
// old expiry plus the new, shorter TTL's grace (which handed the key to the next job while the old engine still ran).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { engineStopsBy } from "../../src/core/serial-holds.ts";
import { ADMIN, api, enroll, P, submit } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";

const holdsOf = (product: string) =>
  runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
    state.storage.sql.exec<{ job_id: string; until: number }>("SELECT job_id, until FROM serial_holds").toArray(),
  );

describe.each([
  ["with no renewal since", false],
  ["after a renewal at the new TTL whose answer its agent never got", true],
])("a lease granted at a 300 s TTL, the product's TTL lowered to 10 s, then the job cancelled %s", (_, renewed) => {
  it("holds the key until the agent stops the engine by the TTL it was granted", async () => {
    const product = `serial-hold-ttl-${renewed ? "renewed" : "plain"}`;
    const patch = (json: object) => api("PATCH", `${P(product)}/settings`, { token: ADMIN, json });
    expect((await patch({ leaseTtlSeconds: 300 })).status).toBe(200);
    const f = await enroll(product, "f", [], 1);
    const { socket } = await connectFactory(product, f.token);
    const a = await submit(product, { title: "A", serialKey: "repo/main" });
    const lease = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(lease).toMatchObject({ job: { id: a.id }, ttlSeconds: 300 });
    // What the agent, hearing nothing more, lets the engine run until (agent/lease-renewer `lapseGraceMs`).
    const engineStops = engineStopsBy(lease.expiresAt, 300);

    expect((await patch({ leaseTtlSeconds: 10 })).status).toBe(200);
    if (renewed) {
      socket.send({ type: "renew", id: "r1", jobId: a.id, leaseEpoch: lease.leaseEpoch });
      const answer = await socket.answer<{ result: { ttlSeconds: number } }>("r1");
      expect(answer.result.ttlSeconds).toBe(10); // granted at the new TTL: the answer the agent is taken not to get
    }
    const cancel = await api("POST", `${P(product)}/jobs/${a.id}/actions/cancel`, { token: ADMIN, json: {} });
    expect(cancel.status).toBe(200);
    const holds = await holdsOf(product);
    expect(holds).toHaveLength(1);
    expect(holds[0]!.job_id).toBe(a.id);
    expect(holds[0]!.until).toBeGreaterThanOrEqual(engineStops);
    socket.close();
  });
});
