// Work after a committed change that throws never fails that change's request. A dispatch pass that throws after an
// operator's change: approving a factory's capabilities, setting it active, releasing it from quarantine, resuming
// the budget, and starting or stopping an experiment each still answer as usual (not a 500 for a write that
// stands), their change is stored, and the next unit's pass pushes the work the failed pass left. The sweep resolves
// with its outcome, and the alarm resolves and re-arms itself (a throw there skipped the delivery and the re-arm
// after the pass). Settling that throws (arming the alarm failed) leaves the submit answered 201, its job queued.

import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { ADMIN, api, enroll, getJob, P, type Reply, submit } from "./client";
import { type AssignFrame, connectFactory, type TestSocket } from "./sockets";
import { dispatchSettled, settleAlarm } from "./state";

type Link = { dispatch(): void };

/** Every dispatch pass of `product`'s coordinator throws (before doing anything) until the returned function. */
async function breakPasses(product: string): Promise<() => Promise<void>> {
  const stub = env.COORDINATOR.getByName(product);
  await runInDurableObject(stub, (instance) => {
    (instance as unknown as { link: Link }).link.dispatch = () => {
      throw new Error("test: the dispatch pass failed");
    };
  });
  return () =>
    runInDurableObject(stub, (instance) => {
      delete (instance as unknown as { link: Partial<Link> }).link.dispatch; // the class's own again
    });
}

/** A factory of 2 seats, connected; `block` keeps a job from it, submitted then and left queued by its pass. */
async function blockedJob(product: string, block: (factoryId: string) => Promise<void>, requires: string[] = []) {
  const f = await enroll(product, "f", [], 2);
  const { socket } = await connectFactory(product, f.token, { seats: 2, capabilities: requires });
  await block(f.factoryId);
  const waiting = await submit(product, { title: "waiting", requires });
  await dispatchSettled(product);
  expect((await getJob(product, waiting.id)).stage).toBe("queued");
  return { factoryId: f.factoryId, socket, waitingId: waiting.id };
}

/** `call` with every pass failing: its answer, and the waiting job still queued (the failed pass assigned nothing). */
async function withPassesFailing<T>(product: string, waitingId: string, call: () => Promise<T>): Promise<T> {
  const mend = await breakPasses(product);
  const out = await call();
  expect((await getJob(product, waitingId)).stage).toBe("queued");
  await mend();
  return out;
}

/** The next unit's pass pushes the job the failed pass left: the throttle recovered. */
async function nextPassPushes(product: string, socket: TestSocket, waitingId: string): Promise<void> {
  await dispatchSettled(product);
  await submit(product, { title: "next" });
  const seen: string[] = [];
  while (!seen.includes(waitingId))
    seen.push(...(await socket.next<AssignFrame>("assign")).assignments.map((a) => a.job.id));
  socket.close();
}

const post = <T = Record<string, unknown>>(path: string, json: unknown = {}) =>
  api<T>("POST", path, { token: ADMIN, json }) as Promise<Reply<T>>;

describe("a dispatch pass that throws after an operator's change", () => {
  it("approving a capability: 200 with it approved, and the job needing it is pushed by the next pass", async () => {
    const product = "pass-fails-approve";
    const { factoryId, socket, waitingId } = await blockedJob(product, async () => {}, ["gpu"]);
    const r = await withPassesFailing(product, waitingId, () =>
      post<{ capabilities: string[] }>(`${P(product)}/factories/${factoryId}/capabilities/approve`, {
        capabilities: ["gpu"],
      }),
    );
    expect(r.status).toBe(200);
    expect(r.body.capabilities).toContain("gpu");
    await nextPassPushes(product, socket, waitingId);
  });

  it("setting a draining factory active: 200 and active, and the next pass pushes the job", async () => {
    const product = "pass-fails-active";
    const { factoryId, socket, waitingId } = await blockedJob(product, async (id) => {
      expect((await post(`${P(product)}/factories/${id}/status`, { status: "draining" })).status).toBe(200);
    });
    const r = await withPassesFailing(product, waitingId, () =>
      post<{ status: string }>(`${P(product)}/factories/${factoryId}/status`, { status: "active" }),
    );
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("active");
    await nextPassPushes(product, socket, waitingId);
  });

  it("releasing a quarantined factory: 200 and active, and the next pass pushes the job", async () => {
    const product = "pass-fails-release";
    const { factoryId, socket, waitingId } = await blockedJob(product, async (id) => {
      expect((await post(`${P(product)}/factories/${id}/status`, { status: "quarantined" })).status).toBe(200);
    });
    const r = await withPassesFailing(product, waitingId, () =>
      post<{ status: string }>(`${P(product)}/factories/${factoryId}/release`),
    );
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("active");
    await nextPassPushes(product, socket, waitingId);
  });

  it("resuming the budget: 200 and resumed, and the next pass pushes the job", async () => {
    const product = "pass-fails-resume";
    const budget = { period: "month", ceilingUsd: 10, onExhausted: "pause" };
    const { socket, waitingId } = await blockedJob(product, async () => {
      expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: budget })).status).toBe(200);
      expect((await post(`${P(product)}/budget/pause`)).status).toBe(200);
    });
    const r = await withPassesFailing(product, waitingId, () =>
      post<{ changed: boolean; state: string }>(`${P(product)}/budget/resume`),
    );
    expect(r.status).toBe(200);
    expect(r.body.changed).toBe(true);
    expect(r.body.state).not.toBe("paused");
    await nextPassPushes(product, socket, waitingId);
  });

  it("starting and stopping an experiment: 201 and 200, stored, and the next pass pushes work", async () => {
    const product = "pass-fails-experiment";
    const url = `${P(product)}/routing/experiments`;
    const spec = {
      jobClass: "lang:go",
      arms: { A: {}, B: { weights: { load: 2 } } },
      guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.9 },
    };
    const { factoryId, socket, waitingId } = await blockedJob(product, async () => {}, ["gpu"]);
    const started = await withPassesFailing(product, waitingId, () => post<{ id: string }>(url, spec));
    expect(started.status).toBe(201);
    const stopped = await withPassesFailing(product, waitingId, () =>
      post<{ status: string }>(`${url}/${started.body.id}/stop`),
    );
    expect(stopped.status).toBe(200);
    expect(stopped.body.status).not.toBe("running");
    // The job waits for an approval: approving it lets the next pass show the throttle recovered.
    await post(`${P(product)}/factories/${factoryId}/capabilities/approve`, { capabilities: ["gpu"] });
    await nextPassPushes(product, socket, waitingId);
  });
});

describe("a dispatch pass that throws in the upkeep", () => {
  it("the sweep resolves with its outcome; the alarm resolves and is armed again", async () => {
    const product = "pass-fails-upkeep";
    const { factoryId, socket, waitingId } = await blockedJob(product, async () => {}, ["gpu"]);
    const held = await submit(product, { title: "held" }); // a lease: the alarm is due at its expiry
    await socket.next<AssignFrame>("assign");
    expect((await getJob(product, held.id)).stage).toBe("assigned");
    const stub = env.COORDINATOR.getByName(product);
    const swept = await withPassesFailing(product, waitingId, () =>
      runInDurableObject(stub, (instance: ProductCoordinator) =>
        instance.sweep(product).then(
          (o) => ({ swept: "closedSockets" in o }), // its answer when its unit ran
          (err: unknown) => ({ threw: String(err) }),
        ),
      ),
    );
    expect(swept).toEqual({ swept: true });
    // The outbox's near alarm (a round ~1 s on) run first: the runtime fires it by itself, and on a loaded box it did so
    // inside the call below, which then found no alarm to run (ran: false). Settled, the one armed is the lease's.
    await settleAlarm(product);
    const alarmed = await withPassesFailing(product, waitingId, async () => {
      const ran = await runDurableObjectAlarm(stub).catch((err: unknown) => `threw: ${String(err)}`);
      return { ran, armed: await runInDurableObject(stub, (_i, state) => state.storage.getAlarm()) };
    });
    expect(alarmed.ran).toBe(true);
    expect(alarmed.armed).not.toBeNull(); // its re-arm ran after the failed pass: the lease still expires on time
    await post(`${P(product)}/factories/${factoryId}/capabilities/approve`, { capabilities: ["gpu"] });
    await nextPassPushes(product, socket, waitingId);
  });
});

describe("settling that throws after a unit", () => {
  it("a submit whose alarm could not be armed is still answered 201, its job stored; the next submit too", async () => {
    const product = "settle-fails";
    await submit(product, { title: "binds" });
    await runInDurableObject(env.COORDINATOR.getByName(product), (instance) => {
      const clock = (instance as unknown as { clock: { arm: () => Promise<void> } }).clock;
      clock.arm = async () => {
        delete (clock as Partial<typeof clock>).arm; // once: the class's own again
        throw new Error("test: arming the alarm failed");
      };
    });
    const r = await api<{ id: string }>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "first" }, bodyMd: "" },
    });
    expect(r.status).toBe(201); // a 500 here invites a retry that submits the job twice
    expect((await getJob(product, r.body.id)).stage).toBe("queued");
    expect((await getJob(product, (await submit(product, { title: "second" })).id)).stage).toBe("queued");
  });
});
