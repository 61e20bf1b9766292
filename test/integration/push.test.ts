// Push dispatch over the factory WebSocket: assignments arrive the moment work exists.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, getJob, P, submit } from "./client";
import { type AssignFrame, connectFactory, openSocket } from "./sockets";
import { expireLeaseNow, lapseExclusions } from "./state";

describe("factory WebSocket", () => {
  it("pushes an assignment on submit, with lease epoch and TTL", async () => {
    const product = "push-submit";
    const f = await enroll(product, "f");
    const { socket, welcome } = await connectFactory(product, f.token, { leaseTtlSeconds: 30 });
    expect(welcome).toMatchObject({ factoryId: f.factoryId, productId: product, leases: [] });
    const job = await submit(product, { title: "pushed" });
    const assign = await socket.next<AssignFrame>("assign");
    expect(assign.assignments).toHaveLength(1);
    expect(assign.assignments[0]).toMatchObject({
      job: { id: job.id, stage: "assigned" },
      leaseEpoch: 1,
      ttlSeconds: 30,
    });
    socket.close();
  });

  it("fills several free seats with several assignments in one frame", async () => {
    const product = "push-seats";
    const f = await enroll(product, "f", [], 3);
    for (let i = 0; i < 3; i++) await submit(product, { title: `j${i}` });
    const { socket } = await connectFactory(product, f.token, { seats: 3 });
    const assign = await socket.next<AssignFrame>("assign");
    expect(assign.assignments.map((a) => a.job.title).sort()).toEqual(["j0", "j1", "j2"]);
    socket.close();
  });

  it("runs a job to completion over the socket: accept, progress, complete — and pushes the next", async () => {
    const product = "push-flow";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const a = await submit(product, { title: "a" });
    const b = await submit(product, { title: "b" });
    const first = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(first.job.id).toBe(a.id);
    const lease = { jobId: a.id, leaseEpoch: first.leaseEpoch };
    socket.send({ type: "accept", id: "1", ...lease });
    await socket.next("ack");
    socket.send({
      type: "progress",
      id: "2",
      ...lease,
      stage: "building",
      pct: 50,
      checkpoint: { branch: "gf/wip/a", sha: "abcdef1" },
    });
    await socket.next("ack");
    expect(await getJob(product, a.id)).toMatchObject({ stage: "building", checkpoint: { branch: "gf/wip/a" } });
    socket.send({
      type: "complete",
      id: "3",
      ...lease,
      result: { outcome: "success", rc: 0 },
      insights: { costUsd: 0.1 },
    });
    const done = await socket.next<{ type: string; result: { stage: string } }>("ack");
    expect(done.result.stage).toBe("testing");
    // The seat freed: the next job is pushed without anyone asking.
    const second = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(second.job.id).toBe(b.id);
    socket.close();
  });

  it("answers a malformed frame with an error frame and changes nothing", async () => {
    const product = "push-malformed";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "x" });
    const lease = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    const before = await getJob(product, job.id);
    const bad = [
      "not json",
      JSON.stringify({ type: "nope" }),
      JSON.stringify({ type: "complete", id: "c", jobId: job.id }),
      JSON.stringify({ type: "renew", id: "r", jobId: job.id, leaseEpoch: "1" }),
      JSON.stringify({ type: "progress", id: "p", jobId: job.id, leaseEpoch: lease.leaseEpoch, extra: 1 }),
      JSON.stringify({ type: "complete", id: "s", jobId: job.id, leaseEpoch: lease.leaseEpoch - 1 }),
      JSON.stringify({ type: "fail", id: "f", jobId: "../etc", leaseEpoch: 1, result: { outcome: "failure" } }),
    ];
    for (const frame of bad) socket.send(frame);
    const codes = [];
    for (let i = 0; i < bad.length; i++) codes.push((await socket.next<{ type: string; code: string }>("error")).code);
    expect(codes).toEqual([
      "validation_failed",
      "validation_failed",
      "validation_failed",
      "validation_failed",
      "validation_failed",
      "fenced",
      "validation_failed",
    ]);
    expect(await getJob(product, job.id)).toEqual(before);
    expect(socket.closed).toBeUndefined();
    socket.close();
  });

  it("closes a connection whose first frame is not hello", async () => {
    const f = await enroll("push-nohello", "f");
    const s = await openSocket(`${P("push-nohello")}/factories/connect`, { authorization: `Bearer ${f.token}` });
    s.send({ type: "heartbeat" });
    expect((await s.next<{ code: string }>("error")).code).toBe("validation_failed");
    expect((await s.waitClosed())?.code).toBe(4002);
  });

  it("refuses the upgrade without a factory token", async () => {
    const r = await api("GET", `${P("push-auth")}/factories/connect`, {
      token: ADMIN,
      headers: { upgrade: "websocket" },
    });
    expect(r.status).toBe(403);
  });

  it("resumes the factory's live leases on reconnect: same epoch, no double assignment", async () => {
    const product = "push-reconnect";
    const f = await enroll(product, "f", [], 2);
    const first = await connectFactory(product, f.token, { seats: 2 });
    const job = await submit(product, { title: "x" });
    const assigned = (await first.socket.next<AssignFrame>("assign")).assignments[0]!;
    first.socket.close();
    const second = await connectFactory(product, f.token, { seats: 2 });
    expect(second.welcome.leases.map((l) => [l.job.id, l.leaseEpoch])).toEqual([[job.id, assigned.leaseEpoch]]);
    // It keeps working the job under the same lease.
    second.socket.send({ type: "renew", id: "r", jobId: job.id, leaseEpoch: assigned.leaseEpoch });
    expect((await second.socket.next<{ result: { leaseEpoch: number } }>("ack")).result.leaseEpoch).toBe(
      assigned.leaseEpoch,
    );
    expect((await getJob(product, job.id)).attempt).toBe(1);
    second.socket.close();
  });

  it("closes the socket at once when the factory's token is revoked", async () => {
    const product = "push-revoke";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    await api("POST", `${P(product)}/factories/${f.factoryId}/token/revoke`, { token: ADMIN });
    expect((await socket.next<{ reason: string }>("revoke")).reason).toContain("revoked");
    expect((await socket.waitClosed())?.code).toBe(4001);
  });

  it("pushes cancel to the holder when an operator cancels its job", async () => {
    const product = "push-cancel";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "x" });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN });
    expect(await socket.next("cancel")).toMatchObject({ jobId: job.id, leaseEpoch: a.leaseEpoch });
    socket.close();
  });

  it("pushes work a dead socket refused to another connected factory at once, not after an unrelated event", async () => {
    const product = "push-socket-gone";
    const f1 = await enroll(product, "f1", ["gpu"]);
    const f2 = await enroll(product, "f2");
    const s1 = await connectFactory(product, f1.token, { capabilities: ["gpu"] });
    const s2 = await connectFactory(product, f2.token);
    // f1's peer has gone and its close event is not handled yet: the runtime refuses every send on it.
    await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
      for (const ws of state.getWebSockets(f1.factoryId)) {
        ws.send = () => {
          throw new TypeError("Can't call WebSocket send() after close().");
        };
      }
      (instance as unknown as { link: { ready: unknown } }).link.ready = undefined; // read the patched sockets
      // No alarm from here on: only a pass the give-back asks for itself can move the job (a state, not a race
      // against the alarm's next pass).
      await state.storage.deleteAlarm();
      state.storage.setAlarm = async () => {};
    });
    // The router prefers f1; its push fails and the job is given back — and must not wait there for another event.
    const job = await submit(product, { title: "x", prefers: ["gpu"] });
    // Without a pass of its own it waited for the alarm's (~900 ms later, when the outbox fell due; here never),
    // and while f1's close event had not come every pass offered it to f1 again (none reached f2 in 3 s).
    const offer = (await s2.socket.next<AssignFrame>("assign", 10_000)).assignments[0]!;
    expect(offer.job.id).toBe(job.id);
    expect(await getJob(product, job.id)).toMatchObject({ stage: "assigned", leaseEpoch: offer.leaseEpoch });
    s1.socket.close();
    s2.socket.close();
  });

  it("re-pushes a job whose lease expired to another connected factory", async () => {
    const product = "push-expiry";
    const a = await enroll(product, "a");
    const b = await enroll(product, "b");
    const sa = await connectFactory(product, a.token);
    const job = await submit(product, { title: "x" });
    expect((await sa.socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(job.id);
    const sb = await connectFactory(product, b.token);
    sa.socket.close();
    await expireLeaseNow(product, job.id);
    await runInDurableObject(env.COORDINATOR.getByName(product), async (instance) => {
      await (instance as unknown as { alarm(): Promise<void> }).alarm();
    });
    const again = (await sb.socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(again).toMatchObject({ job: { id: job.id }, leaseEpoch: 3 });
    sb.socket.close();
  });

  it("gives a rejected job to someone else, not back to the factory that rejected it", async () => {
    const product = "push-reject";
    const a = await enroll(product, "a");
    const sa = await connectFactory(product, a.token);
    const job = await submit(product, { title: "x" });
    const offer = (await sa.socket.next<AssignFrame>("assign")).assignments[0]!;
    sa.socket.send({ type: "reject", id: "r", jobId: job.id, leaseEpoch: offer.leaseEpoch, reason: "no disk" });
    await sa.socket.next("ack");
    expect(await getJob(product, job.id)).toMatchObject({ stage: "queued", attempt: 0 });
    const b = await enroll(product, "b");
    const sb = await connectFactory(product, b.token);
    expect((await sb.socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(job.id);
    expect(sa.socket.frames.filter((fr) => fr.type === "assign")).toHaveLength(0);
    sa.socket.close();
    sb.socket.close();
  });
});

describe("factory WebSocket: hand-backs and resent reports", () => {
  it("release hands a job back without blame: it may be offered to the same factory again after a backoff", async () => {
    const product = "push-release";
    const f = await enroll(product, "f");
    const first = await connectFactory(product, f.token);
    const job = await submit(product, { title: "x" });
    const offer = (await first.socket.next<AssignFrame>("assign")).assignments[0]!;
    first.socket.send({ type: "drain", id: "d" });
    await first.socket.next("ack");
    first.socket.send({ type: "release", id: "r", jobId: job.id, leaseEpoch: offer.leaseEpoch, reason: "draining" });
    await first.socket.next("ack");
    expect(await getJob(product, job.id)).toMatchObject({
      stage: "queued",
      attempt: 0,
      leaseEpoch: offer.leaseEpoch + 1,
    });
    first.socket.close();
    // The same host, restarted, gets it again once the release's short backoff (core/exclusions) has passed.
    const again = await connectFactory(product, f.token);
    await lapseExclusions(product, job.id);
    await runInDurableObject(env.COORDINATOR.getByName(product), async (instance) => {
      await (instance as unknown as { alarm(): Promise<void> }).alarm();
    });
    expect((await again.socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(job.id);
    again.socket.close();
  });

  it("acknowledges a report resent after a lost ack, and changes nothing the second time", async () => {
    const product = "push-resend";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "x" });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    const report = { type: "complete", jobId: job.id, leaseEpoch: a.leaseEpoch, result: { outcome: "success", rc: 0 } };
    socket.send({ ...report, id: "1" });
    await socket.next("ack");
    const after = await getJob(product, job.id);
    socket.send({ ...report, id: "2" });
    expect(await socket.next<{ result: { duplicate: boolean; stage: string } }>("ack")).toMatchObject({
      id: "2",
      result: { duplicate: true, stage: "testing" },
    });
    expect(await getJob(product, job.id)).toEqual(after);
    // A different outcome for the same lease is not a resend: it is refused.
    socket.send({ type: "fail", id: "3", jobId: job.id, leaseEpoch: a.leaseEpoch, result: { outcome: "failure" } });
    expect((await socket.next<{ code: string }>("error")).code).toBe("fenced");
    socket.close();
  });
  it("a pass that leaves runnable work waiting for a seat slows new feeds; one that empties the queue does not", async () => {
    // core/feed-budget BUSY_PACE: feeds nobody reads yet open slower while runnable jobs wait for seats.
    const product = "push-busy-feeds";
    const busyUntil = () =>
      runInDurableObject(
        env.COORDINATOR.getByName(product),
        (instance) => (instance as unknown as { outbox: { feeds: { busyUntil: number } } }).outbox.feeds.busyUntil,
      );
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const a = await submit(product, { title: "a" });
    const first = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(await busyUntil()).toBe(Number.NEGATIVE_INFINITY); // the pass emptied the queue: nothing waits
    // b and c queue behind the one seat; when a completes, the pass that gives b the seat leaves c waiting.
    await submit(product, { title: "b" });
    await submit(product, { title: "c" });
    const before = Date.now();
    socket.send({
      type: "complete",
      id: "1",
      jobId: a.id,
      leaseEpoch: first.leaseEpoch,
      result: { outcome: "success" },
    });
    await socket.next("ack");
    expect((await socket.next<AssignFrame>("assign")).assignments.map((x) => x.job.title)).toEqual(["b"]);
    expect(await busyUntil()).toBeGreaterThanOrEqual(before);
    socket.close();
  });
});
