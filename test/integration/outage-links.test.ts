// The outage grace by holder link (core/outage-grace `holderGraced`, dispatch/outage-grace), with real restarts (the
// object aborted, a new instance loads the same storage) and real factory WebSockets. A holder stored connected with
// no socket attached at an instance's start lost its link WITH the coordinator: its lease gets max(TTL, 30 s) even
// when it is not 5 s overdue yet (before: a lease a few seconds from its end, or 1 s overdue, was expired before the
// agent could reconnect, and its job ran twice) — and it is recorded disconnected then, so the next start grants
// nothing more. A holder whose close the coordinator handled gets no grace however overdue (a dead agent's job is
// recovered on time). The serial stop hold of a run lost with the coordinator is extended the same way.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, getJob, P, submit, until } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets";
import { expireLeaseNow, restartCoordinator } from "./state.ts";

/** The stored factory document's link fields (factories/registry). */
async function link(product: string, factoryId: string) {
  return runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    const doc = state.storage.sql.exec<{ doc: string }>("SELECT doc FROM factories WHERE id = ?", factoryId).one().doc;
    return JSON.parse(doc) as { connection?: number; closedConnection?: number };
  });
}

/** A factory on a WebSocket holding one pushed job (`manifest` extra fields). */
async function holding(product: string, manifest: Record<string, unknown> = {}) {
  const f = await enroll(product, "f");
  const { socket } = await connectFactory(product, f.token);
  const job = await submit(product, { title: "long build", ...manifest });
  const assign = await socket.next<AssignFrame>("assign");
  return { f, socket, job, epoch: assign.assignments[0]?.leaseEpoch ?? 0 };
}

describe("the outage grace by holder link", () => {
  it("extends the lease of a holder whose socket went down with the coordinator, though not yet overdue; once", async () => {
    const product = "outage-link-lost";
    const { f, job, epoch } = await holding(product);
    await expireLeaseNow(product, job.id, -3_000); // 3 s left: no lease 5 s overdue, so timing alone says "no outage"
    await restartCoordinator(product);
    const after = await getJob(product, job.id);
    expect(after).toMatchObject({ stage: "assigned", leaseEpoch: epoch, holderFactoryId: f.factoryId });
    expect(after.leaseExpiresAt).toBeGreaterThanOrEqual(Date.now() + 25_000);
    const stored = await link(product, f.factoryId);
    expect(stored.closedConnection).toBe(stored.connection); // recorded disconnected as the grace was given
    // The grace ends with no reconnect (the instance woken by its alarm then): nothing more, the lease expires.
    await expireLeaseNow(product, job.id, 1_000);
    await restartCoordinator(product);
    expect((await getJob(product, job.id)).leaseExpiresAt).toBeLessThan(Date.now());
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    expect(await getJob(product, job.id)).toMatchObject({ stage: "queued", leaseEpoch: epoch + 1 });
  });

  it("gives no grace to a holder whose close the coordinator handled, however overdue its lease", async () => {
    const product = "outage-link-closed";
    const { f, socket, job, epoch } = await holding(product);
    socket.close();
    await until(
      () => link(product, f.factoryId),
      (s) => s.closedConnection === s.connection,
      { what: "the coordinator to handle the holder's close (closedConnection = connection)" },
    );
    await expireLeaseNow(product, job.id, 60_000); // a minute overdue: the old timing rule alone would grace it
    await restartCoordinator(product);
    expect((await getJob(product, job.id)).leaseExpiresAt).toBeLessThan(Date.now());
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    expect(await getJob(product, job.id)).toMatchObject({ stage: "queued", leaseEpoch: epoch + 1 });
  });

  it("extends the serial stop hold of a run lost with the coordinator: its engine may still be stopping", async () => {
    const product = "outage-link-hold";
    const { job } = await holding(product, { serialKey: "deploy:prod" });
    const cancel = await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} });
    expect(cancel.status).toBe(200);
    const hold = () =>
      runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
        const q = "SELECT until FROM serial_holds WHERE job_id = ?";
        return state.storage.sql.exec<{ until: number }>(q, job.id).toArray()[0]?.until ?? 0;
      });
    expect(await hold()).toBeGreaterThan(Date.now());
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec("UPDATE serial_holds SET until = ?", Date.now() + 3_000); // ends in 3 s
    });
    await restartCoordinator(product);
    expect(await hold()).toBeGreaterThanOrEqual(Date.now() + 25_000);
  });
});
