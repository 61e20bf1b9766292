// Dispatch passes are coalesced without losing or reordering work. Submits in one macrotask share a trailing pass,
// frames sent back to back are applied in turns and answered in order, and every job still reaches its factory once.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { validateManifest } from "../../src/core/manifest.ts";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { enroll, getJob, submit } from "./client";
import { type AssignFrame, connectFactory, openSocket } from "./sockets";
import { dispatchSettled, holdAlarm } from "./state";

// Proves dispatch is coalesced per macrotask (factories/throttle): three submits handled in one macrotask cost two
// passes — the leading one, in the first submit's own event, and one trailing pass for the other two — and every
// job still reaches the connected factory, each in exactly one assignment; a submit that arrives alone is
// dispatched by its own leading pass, before its call returns, as before the throttle.

type Link = { dispatch(): void };

/**
 * Counts the dispatch passes the coordinator of `product` runs from now on, its alarm held meanwhile: the alarm runs a
 * pass of its own (runtime/composition), and is armed 1 s after a unit that wrote outbox records (outbox/shipper
 * ALARM_ROUND_MS) — on a loaded box, or in a workerd shared with other files' deliveries, it fired before the count was
 * read and made 2 passes read 3. Held, the count is the units' passes alone. The returned `release` lets it run again.
 */
async function countPasses(product: string): Promise<{ passes: () => Promise<number>; release: () => Promise<void> }> {
  const release = await holdAlarm(product);
  const stub = env.COORDINATOR.getByName(product);
  await runInDurableObject(stub, (instance) => {
    const link = (instance as unknown as { link: Link & { passes?: number } }).link;
    const pass = link.dispatch.bind(link);
    link.passes = 0;
    link.dispatch = () => {
      link.passes! += 1;
      pass();
    };
  });
  const passes = () =>
    runInDurableObject(stub, (instance) => (instance as unknown as { link: { passes: number } }).link.passes);
  return { passes, release };
}

describe("dispatch throttle", () => {
  it("runs a leading and a trailing pass for three submits in one macrotask, and assigns all three once", async () => {
    const product = "throttle-burst";
    const f = await enroll(product, "f", [], 4);
    const { socket } = await connectFactory(product, f.token, { seats: 4 });
    await submit(product, { title: "warm-up" }); // binds the product; its job takes a seat
    await socket.next<AssignFrame>("assign");
    const { passes, release } = await countPasses(product);
    const stub = env.COORDINATOR.getByName(product);
    await runInDurableObject(stub, async (instance: ProductCoordinator) => {
      const input = (title: string) => ({ manifest: validateManifest({ title }), bodyMd: "" });
      // Not awaited one by one: each unit commits and asks for dispatch before any of them awaits.
      await Promise.all(["a", "b", "c"].map((t) => instance.submit(product, input(t), "test", "admin")));
    });
    await dispatchSettled(product);
    expect(await passes()).toBe(2);
    await release();
    const assigned: string[] = [];
    while (assigned.length < 3) {
      for (const a of (await socket.next<AssignFrame>("assign")).assignments) assigned.push(a.job.title);
    }
    expect(assigned.sort()).toEqual(["a", "b", "c"]);
    socket.close();
  });

  it("dispatches a submit that arrives alone in its own event, before the call returns", async () => {
    const product = "throttle-alone";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const { passes, release } = await countPasses(product);
    const job = await submit(product, { title: "alone" });
    expect((await getJob(product, job.id)).stage).toBe("assigned");
    expect(await passes()).toBe(1);
    await release();
    expect((await socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(job.id);
    socket.close();
  });
});

// Frames applied in turns (factories/frame-turns), end to end over a real socket: a hello and the frames sent right
// behind it (before the welcome) are accepted, and a job's accept, building, a stale renew and complete sent back to
// back are answered in that order — the refused one with its error, the rest still applied, the job in testing —
// with no dispatch pass per frame. (Which frames share a turn is proven in test/unit/frame-turns.test.ts.)

type Answer = { type: "ack" | "error"; id: string; code?: string; result?: Record<string, unknown> };

describe("frames applied in turns", () => {
  it("applies a hello and the frames sent right behind it, in order, each answered", async () => {
    const product = "frame-turns";
    const f = await enroll(product, "f", [], 1);
    const job = await submit(product, { title: "back to back" });
    const socket = await openSocket(`/api/v1/products/${product}/factories/connect`, {
      authorization: `Bearer ${f.token}`,
    });
    // No wait for the welcome: the heartbeat is queued behind the hello, and must find the socket greeted.
    socket.send({ type: "hello", v: 1, capabilities: [], seats: 1, engines: [], agentVersion: "test" });
    socket.send({ type: "heartbeat", id: "hb" });
    await socket.next("welcome");
    expect((await socket.answer<Answer>("hb")).type).toBe("ack");

    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(a.job.id).toBe(job.id);
    const lease = { jobId: a.job.id, leaseEpoch: a.leaseEpoch };
    // Counted from here: every pass the coordinator runs (push dispatch), to see the turn's frames share one — its
    // alarm held, whose own pass (armed 1 s after the frames' outbox records) is not the frames' (see countPasses).
    const release = await holdAlarm(product);
    const passes = await runInDurableObject(env.COORDINATOR.getByName(product), (instance) => {
      const link = (instance as unknown as { link: { dispatch(): void } }).link;
      const counter = { n: 0 };
      const original = link.dispatch.bind(link);
      link.dispatch = () => {
        counter.n++;
        original();
      };
      return counter;
    });
    socket.send({ type: "accept", id: "a", ...lease });
    socket.send({ type: "progress", id: "b", ...lease, stage: "building" });
    socket.send({ type: "renew", id: "stale", jobId: a.job.id, leaseEpoch: a.leaseEpoch + 7 }); // refused: fenced
    socket.send({ type: "complete", id: "c", ...lease, result: { outcome: "success", rc: 0 } });
    const answers = [];
    for (const id of ["a", "b", "stale", "c"]) answers.push(await socket.answer<Answer>(id));
    expect(answers.map((x) => x.type)).toEqual(["ack", "ack", "error", "ack"]);
    expect(answers[2]!.code).toBe("fenced");
    expect(answers[3]!.result).toMatchObject({ jobId: job.id, stage: "testing" });
    // Arrival order is the order of the answers too (each unit answers as it commits).
    expect(socket.arrivals.filter((t) => t === "ack" || t === "error").slice(-4)).toEqual([
      "ack",
      "ack",
      "error",
      "ack",
    ]);
    expect((await getJob(product, job.id)).stage).toBe("testing");
    // Only the complete freed a seat; the frames share their turns, so a pass per frame would be 4.
    expect(passes.n).toBeLessThanOrEqual(2);
    await release();
  });
});
