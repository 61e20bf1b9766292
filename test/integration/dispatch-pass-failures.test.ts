// A dispatch pass that fails never fails the unit that asked for it, and the throttle keeps dispatching after it:
// a submit whose leading pass throws is still answered 201, its records still shipped (D1 history, alarm held), and
// the next submit's pass assigns both jobs; a trailing pass that throws leaves the next unit a leading pass of its own;
// the pass after a factory's hello that throws leaves the hello welcomed and its frame handler resolved, not rejected.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { validateManifest } from "../../src/core/manifest.ts";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { ADMIN, api, enroll, getJob, P, submit, until } from "./client";
import { type AssignFrame, connectFactory, openSocket } from "./sockets";
import { dispatchSettled, holdAlarm } from "./state";

type Link = { dispatch(): void };

/** The next `count` dispatch passes of `product`'s coordinator throw (before doing anything); later ones run. */
async function failPasses(product: string, count: number): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (instance) => {
    const link = (instance as unknown as { link: Link }).link;
    const pass = link.dispatch.bind(link);
    let left = count;
    link.dispatch = () => {
      if (left > 0) {
        left--;
        throw new Error("test: the dispatch pass failed");
      }
      pass();
    };
  });
}

const snapshotStages = async (product: string, jobId: string) =>
  (
    await env.DB.prepare("SELECT stage FROM job_snapshots WHERE product_id = ? AND job_id = ? ORDER BY rev")
      .bind(product, jobId)
      .all<{ stage: string }>()
  ).results.map((r) => r.stage);

describe("a dispatch pass that throws", () => {
  it("leading: the submit is still answered and shipped, and the next unit's pass assigns the job", async () => {
    const product = "pass-fails-leading";
    const f = await enroll(product, "f", [], 2);
    const { socket } = await connectFactory(product, f.token, { seats: 2 });
    await submit(product, { title: "binds" }); // binds the product; its job takes one seat
    await socket.next<AssignFrame>("assign");
    const release = await holdAlarm(product);
    await failPasses(product, 1);
    const r = await api<{ id: string; stage: string }>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "first" }, bodyMd: "" },
    });
    expect(r.status).toBe(201); // the job exists: a 500 here invites a retry that submits it twice
    expect((await getJob(product, r.body.id)).stage).toBe("queued"); // the failed pass assigned nothing
    // Its own records still ship (its settling ran): the queued snapshot reaches D1 with the alarm held.
    const stages = await until(
      () => snapshotStages(product, r.body.id),
      (s) => s.includes("queued"),
    );
    expect(stages).toContain("queued");
    await dispatchSettled(product);
    const next = await submit(product, { title: "second" }); // its leading pass runs: the throttle recovered
    const seen = (await socket.next<AssignFrame>("assign")).assignments.map((a) => a.job.id);
    expect(seen).toContain(r.body.id);
    expect((await getJob(product, next.id)).stage).toBe("queued"); // one seat was left, for the older job
    await release();
    socket.close();
  });

  it("trailing: the next request still runs a pass and assigns what the failed one left", async () => {
    const product = "pass-fails-trailing";
    const f = await enroll(product, "f", [], 4);
    const { socket } = await connectFactory(product, f.token, { seats: 4 });
    await submit(product, { title: "binds" });
    await socket.next<AssignFrame>("assign");
    const release = await holdAlarm(product); // the alarm's own pass would assign what the failed one left
    const stub = env.COORDINATOR.getByName(product);
    const ids = await runInDurableObject(stub, async (instance: ProductCoordinator) => {
      const link = (instance as unknown as { link: Link }).link;
      const pass = link.dispatch.bind(link);
      let calls = 0;
      link.dispatch = () => {
        calls++;
        if (calls === 2) throw new Error("test: the trailing pass failed"); // the leading one (a) runs
        pass();
      };
      const input = (title: string) => ({ manifest: validateManifest({ title }), bodyMd: "" });
      const out = await Promise.all(["a", "b"].map((t) => instance.submit(product, input(t), "test", "admin")));
      return out.map((o) => (o.ok ? o.value.job.id : ""));
    });
    await dispatchSettled(product);
    expect((await socket.next<AssignFrame>("assign")).assignments.map((a) => a.job.id)).toEqual([ids[0]]);
    expect((await getJob(product, ids[1]!)).stage).toBe("queued"); // the trailing pass failed: b waits
    await submit(product, { title: "c" }); // a unit alone: its leading pass runs at once and takes b with c
    const seen: string[] = [];
    while (seen.length < 2) seen.push(...(await socket.next<AssignFrame>("assign")).assignments.map((a) => a.job.id));
    expect(seen).toContain(ids[1]);
    await release();
    socket.close();
  });
});

describe("a dispatch pass that throws after a hello", () => {
  it("leaves the hello welcomed and its frame handler resolved; the next unit's pass pushes the work", async () => {
    const product = "pass-fails-hello";
    const f = await enroll(product, "f", [], 2);
    const first = await connectFactory(product, f.token, { seats: 2 });
    const waiting = await submit(product, { title: "waiting" });
    await first.socket.next<AssignFrame>("assign");
    first.socket.close();
    await dispatchSettled(product);
    const stray = await openSocket(`${P(product)}/factories/connect`, { authorization: `Bearer ${f.token}` });
    await failPasses(product, 1);
    const handled = await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
      const ws = state.getWebSockets(f.factoryId).find((w) => !w.deserializeAttachment()?.helloed)!;
      const hello = { type: "hello", id: "h", v: 1, capabilities: [], seats: 2, engines: [], agentVersion: "test" };
      return instance.webSocketMessage(ws, JSON.stringify(hello)).then(
        () => "resolved",
        (err: unknown) => `threw: ${String(err)}`,
      );
    });
    expect(handled).toBe("resolved"); // a throw here is an uncaught exception of the frame, its settling skipped
    expect((await stray.next<{ leases: Array<{ job: { id: string } }> }>("welcome")).leases[0]?.job.id).toBe(
      waiting.id,
    );
    await dispatchSettled(product);
    const next = await submit(product, { title: "next" }); // its pass runs: the throttle recovered
    expect((await stray.next<AssignFrame>("assign")).assignments.map((a) => a.job.id)).toEqual([next.id]);
    stray.close();
  });
});
