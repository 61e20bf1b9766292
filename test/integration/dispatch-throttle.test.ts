// Proves dispatch is coalesced per macrotask (factories/throttle): three submits handled in one macrotask cost two
// passes — the leading one, in the first submit's own event, and one trailing pass for the other two — and every
// job still reaches the connected factory, each in exactly one assignment; a submit that arrives alone is
// dispatched by its own leading pass, before its call returns, as before the throttle.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { validateManifest } from "../../src/core/manifest.ts";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { enroll, getJob, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";
import { dispatchSettled } from "./state";

type Link = { dispatch(): void };

/** Counts the dispatch passes the coordinator of `product` runs from now on. */
async function countPasses(product: string): Promise<() => Promise<number>> {
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
  return () =>
    runInDurableObject(stub, (instance) => (instance as unknown as { link: { passes: number } }).link.passes);
}

describe("dispatch throttle", () => {
  it("runs a leading and a trailing pass for three submits in one macrotask, and assigns all three once", async () => {
    const product = "throttle-burst";
    const f = await enroll(product, "f", [], 4);
    const { socket } = await connectFactory(product, f.token, { seats: 4 });
    await submit(product, { title: "warm-up" }); // binds the product; its job takes a seat
    await socket.next<AssignFrame>("assign");
    const passes = await countPasses(product);
    const stub = env.COORDINATOR.getByName(product);
    await runInDurableObject(stub, async (instance: ProductCoordinator) => {
      const input = (title: string) => ({ manifest: validateManifest({ title }), bodyMd: "" });
      // Not awaited one by one: each unit commits and asks for dispatch before any of them awaits.
      await Promise.all(["a", "b", "c"].map((t) => instance.submit(product, input(t), "test")));
    });
    await dispatchSettled(product);
    expect(await passes()).toBe(2);
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
    const passes = await countPasses(product);
    const job = await submit(product, { title: "alone" });
    expect((await getJob(product, job.id)).stage).toBe("assigned");
    expect(await passes()).toBe(1);
    expect((await socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(job.id);
    socket.close();
  });
});
