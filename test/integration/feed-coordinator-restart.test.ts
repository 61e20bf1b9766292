// Guarantee 5 across a restart of the product's coordinator (`state.abort()`), which holds the outbox that ships a
// job's events to its feed: a watcher attached before the restart receives every event written after it once, in
// order, and a watcher that resumes from the last seq it saw gets exactly the rest. (Added by a concurrency reviewer:
// feed tests covered the feed object's eviction, not the coordinator's.)
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { JobEvent } from "../../src/shared/protocol.ts";
import { ADMIN, api, enroll, P, submit, until } from "./client";
import { type AssignFrame, connectFactory, openSocket, type TestSocket } from "./sockets";

vi.setConfig({ testTimeout: 30_000 });

const eventsOn = (w: TestSocket) =>
  w.frames.filter((f) => f.type === "event").map((f) => (f as unknown as { event: JobEvent }).event);

describe("a job feed across a coordinator restart", () => {
  it("keeps a live watcher gapless, and a resumed one gets exactly the rest", async () => {
    const product = "feed-coordinator-restart";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "logs" });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    const watcher = await openSocket(`${P(product)}/jobs/${job.id}/events/ws?after=0`, {
      authorization: `Bearer ${ADMIN}`,
    });
    await watcher.next("ready");
    for (let i = 0; i < 3; i++) {
      const logs = [{ stream: "stdout" as const, text: `line ${i}`, at: Date.now() }];
      socket.send({ type: "progress", id: `p${i}`, jobId: job.id, leaseEpoch: a.leaseEpoch, logs });
      await socket.next("ack");
    }
    const before = await until(
      async () => eventsOn(watcher),
      (e) => e.filter((x) => x.type === "log").length === 3,
    );

    // The coordinator restarts: its in-memory state (sockets, the feeds it counts as read) is gone, its outbox stays.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => state.abort("restart")).catch(() => {});
    await socket.waitClosed();
    const cancel = await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} });
    expect(cancel.status).toBe(200);
    const all = await until(
      async () => eventsOn(watcher),
      (e) => e.some((x) => x.type === "job.action"),
    );
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all.slice(before.length).map((e) => e.type)).toEqual(["lease.lost", "job.stage", "job.action"]);

    const resumed = await openSocket(`${P(product)}/jobs/${job.id}/events/ws?after=${before.length}`, {
      authorization: `Bearer ${ADMIN}`,
    });
    await resumed.next("ready");
    expect(eventsOn(resumed).map((e) => e.seq)).toEqual(all.slice(before.length).map((e) => e.seq));
    resumed.close();
    watcher.close();
  });
});
