// A lease lost by expiry, release or rejection counts against that holder for that job: the job goes to another
// capable factory, comes back to the same one only after a bounded backoff, and repeated expiries degrade a factory.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Factory } from "../../src/core/model.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client";
import { type AssignFrame, connectFactory, type TestSocket } from "./sockets";
import { expireLeaseNow, lapseExclusions } from "./state";

interface Explained {
  ranked: Array<{ factoryId: string; score: number; terms: Record<string, { raw: number }> }>;
  rejected: Array<{
    factoryId: string;
    reasons: string[];
    exclusion?: { kind: string; until: number; strikes: number };
  }>;
}

async function runAlarm(product: string): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), async (instance) => {
    await (instance as unknown as { alarm(): Promise<void> }).alarm();
  });
}

/** Every frame sent before this returns has been read: a heartbeat's ack comes after them. */
async function settle(socket: TestSocket, id: string): Promise<void> {
  socket.send({ type: "heartbeat", id });
  await socket.next("ack");
}

const explain = async (product: string, jobId: string) =>
  (await api<Explained>("GET", `${P(product)}/jobs/${jobId}/explain`, { token: ADMIN })).body;

describe("a lost lease counts against its holder", () => {
  it("gives an expired job to the idle capable factory, not back to the silent holder", async () => {
    const product = "handback-expiry";
    const a = await enroll(product, "a");
    const b = await enroll(product, "b");
    const sa = await connectFactory(product, a.token);
    const job = await submit(product, { title: "x", maxAttempts: 5 });
    expect((await sa.socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(job.id);
    const sb = await connectFactory(product, b.token);
    // A stays connected (it heartbeats) but never accepts: its lease runs out.
    await expireLeaseNow(product, job.id);
    await runAlarm(product);
    const again = (await sb.socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(again).toMatchObject({ job: { id: job.id }, leaseEpoch: 3 });
    await settle(sa.socket, "h");
    expect(sa.socket.frames.filter((f) => f.type === "assign")).toHaveLength(0);
    sa.socket.close();
    sb.socket.close();
  });

  it("does not let an HTTP claimant re-claim the job whose lease it just let expire", async () => {
    const product = "handback-claim";
    const a = await enroll(product, "a");
    const b = await enroll(product, "b");
    const job = await submit(product, { title: "x", maxAttempts: 5 });
    expect((await claim(product, a.token)).body.job.id).toBe(job.id);
    await expireLeaseNow(product, job.id);
    await runAlarm(product);
    expect((await claim(product, a.token)).status).toBe(204);
    expect((await claim(product, b.token)).body.job).toMatchObject({ id: job.id, leaseEpoch: 3 });
  });

  it("does not hand a job released over HTTP straight back to the releasing claimant", async () => {
    const product = "handback-http-release";
    const a = await enroll(product, "a");
    const b = await enroll(product, "b");
    const job = await submit(product, { title: "x" });
    const first = await claim(product, a.token);
    const released = await api("POST", `${P(product)}/jobs/${job.id}/lease/release`, {
      token: a.token,
      json: { leaseEpoch: first.body.lease.leaseEpoch },
    });
    expect(released.status).toBe(200);
    expect((await claim(product, a.token)).status).toBe(204);
    expect((await claim(product, b.token)).body.job.id).toBe(job.id);
  });

  it("re-offers a released job to the releasing factory only after a growing backoff", async () => {
    const product = "handback-release";
    const a = await enroll(product, "a");
    const { socket } = await connectFactory(product, a.token);
    const job = await submit(product, { title: "x" });
    let offer = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    const strikes: number[] = [];
    for (let round = 1; round <= 3; round++) {
      socket.send({ type: "release", id: `r${round}`, jobId: job.id, leaseEpoch: offer.leaseEpoch });
      await socket.next("ack");
      await settle(socket, `h${round}`);
      // Not straight back: the job waits out its backoff on this factory.
      expect(socket.frames.filter((f) => f.type === "assign")).toHaveLength(0);
      expect((await getJob(product, job.id)).stage).toBe("queued");
      const mine = (await explain(product, job.id)).rejected.find((c) => c.factoryId === a.factoryId)!;
      expect(mine.reasons).toContain("excluded:released");
      strikes.push(mine.exclusion!.strikes);
      await lapseExclusions(product, job.id);
      await runAlarm(product);
      offer = (await socket.next<AssignFrame>("assign")).assignments[0]!;
      expect(offer.job.id).toBe(job.id);
    }
    // Each hand-back is one more strike, and the backoff grows with the strikes (test/unit/exclusions.test.ts).
    expect(strikes).toEqual([1, 2, 3]);
    socket.close();
  });

  it("keeps a rejected job away from the rejecting factory until the exclusion lapses or an operator requeues", async () => {
    const product = "handback-reject";
    const a = await enroll(product, "a");
    const { socket } = await connectFactory(product, a.token);
    const job = await submit(product, { title: "x" });
    const offer = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    socket.send({ type: "reject", id: "r", jobId: job.id, leaseEpoch: offer.leaseEpoch, reason: "no disk" });
    await socket.next("ack");
    await settle(socket, "h");
    expect(socket.frames.filter((f) => f.type === "assign")).toHaveLength(0);
    const mine = (await explain(product, job.id)).rejected.find((c) => c.factoryId === a.factoryId)!;
    expect(mine.reasons).toContain("excluded:rejected");
    // Why it waits quotes what the refusal said, and names the way out (core/waiting-excluded).
    const waiting = await api<{ waitingReason: { code: string; message: string } }>(
      "GET",
      `${P(product)}/jobs/${job.id}`,
      { token: ADMIN },
    );
    expect(waiting.body.waitingReason.code).toBe("excluded");
    expect(waiting.body.waitingReason.message).toContain("(the last said: no disk)");
    // The operator's requeue clears the exclusions: the job is offered again at once.
    const requeued = await api("POST", `${P(product)}/jobs/${job.id}/actions/requeue`, { token: ADMIN });
    expect(requeued.status).toBe(200);
    expect((await socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(job.id);
    socket.close();
  });
});

describe("a factory that keeps letting leases expire", () => {
  it("becomes degraded and is ranked below a healthy factory", async () => {
    const product = "handback-degraded";
    const a = await enroll(product, "a");
    const b = await enroll(product, "b");
    for (let i = 0; i < 3; i++) {
      const job = await submit(product, { title: `lost ${i}`, maxAttempts: 5 });
      expect((await claim(product, a.token)).body.job.id).toBe(job.id);
      await expireLeaseNow(product, job.id);
      await runAlarm(product);
    }
    for (const f of [a, b]) await api("POST", `${P(product)}/factories/heartbeat`, { token: f.token, json: {} });
    const fa = await api<Factory>("GET", `${P(product)}/factories/${a.factoryId}`, { token: ADMIN });
    expect(fa.body.health).toBe("degraded");
    const fresh = await submit(product, { title: "fresh" });
    const x = await explain(product, fresh.id);
    expect(x.ranked.map((c) => c.factoryId)).toEqual([b.factoryId, a.factoryId]);
    expect(x.ranked[1]!.terms.health!.raw).toBe(0.5);
  });
});
