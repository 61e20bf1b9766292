// Proves that dispatch from cached factory records (factories/cache, dispatch/free-seats) routes as reading every
// row did: an operator's status change, a deregistration and a rolled-back write are all seen by the next pass,
// and with many idle factories attached a job goes to the only factory holding its capability.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/core/errors.ts";
import { cachedFactory } from "../../src/durable-objects/coordinator/factories/cache.ts";
import { updateFactory } from "../../src/durable-objects/coordinator/factories/registry.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { ADMIN, api, enroll, getJob, P, submit, until } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";
import { dispatchSettled } from "./state";

const setStatus = (product: string, id: string, status: string) =>
  api("POST", `${P(product)}/factories/${id}/status`, { token: ADMIN, json: { status } });

describe("dispatch from cached factory records", () => {
  it("sees an operator's status change on the very next pass, both ways", async () => {
    const product = "fcache-status";
    const f = await enroll(product, "f", [], 2);
    const { socket } = await connectFactory(product, f.token, { seats: 2 }); // a seat stays free after the first job
    const first = await submit(product, { title: "first" });
    expect((await socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(first.id); // the cache is warm

    expect((await setStatus(product, f.factoryId, "quarantined")).status).toBe(200);
    const held = await submit(product, { title: "held" });
    await dispatchSettled(product);
    expect((await getJob(product, held.id)).stage).toBe("queued");

    expect((await setStatus(product, f.factoryId, "active")).status).toBe(200);
    // Reactivation moves no job, so the factory's next frame (a heartbeat) is what runs the pass.
    socket.send({ type: "heartbeat", id: "hb" });
    const pushed = await socket.next<AssignFrame>("assign");
    expect(pushed.assignments.map((a) => a.job.id)).toEqual([held.id]);
    socket.close();
  });

  it("forgets a write whose transaction rolled back", async () => {
    const product = "fcache-rollback";
    const f = await enroll(product, "f");
    const stub = env.COORDINATOR.getByName(product);
    await runInDurableObject(stub, async (instance) => {
      const units = (instance as unknown as { units: Units }).units;
      const outcome = await units.run(product, (tx) => {
        updateFactory(tx, f.factoryId, { status: "quarantined" });
        expect(cachedFactory(tx.sql, f.factoryId)?.status).toBe("quarantined"); // cached inside the transaction
        throw new DomainError("conflict", "roll it back");
      });
      expect(outcome.ok).toBe(false);
      expect(cachedFactory(units.sql, f.factoryId)?.status).toBe("active");
    });
  });

  it("pushes a job to the one factory with its capability while many without it sit idle and free", async () => {
    const product = "fcache-index";
    const idle = [];
    for (let i = 0; i < 12; i++) {
      const e = await enroll(product, `idle-${i}`);
      idle.push((await connectFactory(product, e.token)).socket);
    }
    const worker = await enroll(product, "worker", ["gpu"]);
    const { socket } = await connectFactory(product, worker.token, { capabilities: ["gpu"] });
    const gpu = await submit(product, { title: "gpu job", requires: ["gpu"] });
    expect((await socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(gpu.id);
    // A job that requires nothing may go to any free factory: one of the idle ones takes it.
    const any = await submit(product, { title: "any" });
    const placed = await until(
      () => getJob(product, any.id),
      (j) => j.stage === "assigned",
    );
    expect(placed.holderFactoryId).not.toBe(worker.factoryId);
    for (const s of [...idle, socket]) s.close();
  });

  it("stops pushing to a deregistered factory whose socket is still attached", async () => {
    const product = "fcache-deregister";
    const f = await enroll(product, "f", [], 2);
    const { socket } = await connectFactory(product, f.token, { seats: 2 });
    await submit(product, { title: "warm" });
    await socket.next<AssignFrame>("assign");
    expect((await api("DELETE", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN })).status).toBe(200);
    const later = await submit(product, { title: "later" });
    await dispatchSettled(product);
    expect((await getJob(product, later.id)).stage).toBe("queued");
    socket.close();
  });
});
