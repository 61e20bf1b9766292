// Fewer frames per job (issue 12 item 2): `accept` with `stage: "building"` starts a job in one round trip, and a
// `batch` frame is one unit whose lease frames are each fenced on their own epoch and answered in order by one ack.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { applyBatch } from "../../src/durable-objects/coordinator/factories/batch.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { type BatchedFrame, FEATURES, MAX_BATCH_FRAMES, MAX_FRAME_BYTES } from "../../src/shared/protocol.ts";
import { enroll, eventsOf, getJob, submit } from "./client";
import { type AssignFrame, connectFactory, type TestSocket } from "./sockets";
import { expireLeaseNow } from "./state";

type Ack<R = unknown> = { type: "ack"; id: string; result: R };
type ItemResult = { ok: true; result: Record<string, unknown> } | { ok: false; code: string; message: string };
type BatchAck = Ack<{ results: ItemResult[] }>;
const success = { outcome: "success", rc: 0 };

/** Connect a factory with `seats` seats, submit `n` jobs and return the leases it was pushed (in job order). */
async function leased(product: string, n: number, seats = n) {
  const f = await enroll(product, "f", [], seats);
  const { socket, welcome } = await connectFactory(product, f.token, { seats });
  const jobs = [];
  for (let i = 0; i < n; i++) jobs.push(await submit(product, { title: `j${i}` }));
  const byJob = new Map<string, number>();
  while (byJob.size < Math.min(n, seats)) {
    for (const a of (await socket.next<AssignFrame>("assign")).assignments) byJob.set(a.job.id, a.leaseEpoch);
  }
  const leases = jobs.filter((j) => byJob.has(j.id)).map((j) => ({ jobId: j.id, leaseEpoch: byJob.get(j.id)! }));
  return { socket, welcome, jobs, leases, factoryId: f.factoryId };
}

/** Counts the coordinator's units and nested (savepoint) parts from now on: the live counters are returned. */
async function countUnits(product: string): Promise<{ run: number; nested: number }> {
  return runInDurableObject(env.COORDINATOR.getByName(product), (instance) => {
    type Fn = (...args: unknown[]) => unknown;
    const units = (instance as unknown as { units: { run: Fn; nested: Fn } }).units;
    const counts = { run: 0, nested: 0 };
    for (const name of ["run", "nested"] as const) {
      const original = units[name].bind(units);
      units[name] = (...args: unknown[]) => {
        counts[name]++;
        return original(...args);
      };
    }
    return counts;
  });
}

/** Send a frame with an `id` and wait for its answer (`ack` or `error`). */
function request<T>(socket: TestSocket, frame: Record<string, unknown> & { id: string }): Promise<T> {
  socket.send(frame);
  return socket.answer<T>(frame.id);
}

describe("accept with stage building", () => {
  it("is announced in welcome, and moves the job to building in one round trip, with the progress path's events", async () => {
    const product = "batch-accept-building";
    const { socket, welcome, leases } = await leased(product, 2);
    expect(welcome.features).toEqual(expect.arrayContaining([FEATURES.acceptBuilding, FEATURES.batch]));
    const [one, two] = leases as [(typeof leases)[0], (typeof leases)[0]];
    const ack = await request<Ack>(socket, { type: "accept", id: "a1", ...one, stage: "building" });
    expect(ack).toMatchObject({
      type: "ack",
      result: { jobId: one.jobId, stage: "building", leaseEpoch: one.leaseEpoch },
    });
    expect(await getJob(product, one.jobId)).toMatchObject({ stage: "building", leaseEpoch: one.leaseEpoch });
    // The old way, two round trips: the same events, the same move.
    await request(socket, { type: "accept", id: "a2", ...two });
    await request(socket, { type: "progress", id: "p2", ...two, stage: "building" });
    const [viaAccept, viaProgress] = await Promise.all([
      eventsOf(product, one.jobId, 4),
      eventsOf(product, two.jobId, 4),
    ]);
    expect(viaAccept.map((e) => e.type)).toEqual(viaProgress.map((e) => e.type));
    expect(viaAccept.at(-1)).toMatchObject({ type: "job.stage", data: { from: "assigned", to: "building" } });
    // A resend (its ack lost) is idempotent: still building, same epoch.
    expect((await request<Ack>(socket, { type: "accept", id: "a3", ...one, stage: "building" })).result).toMatchObject({
      stage: "building",
    });
    socket.close();
  });

  it("is fenced like any accept; a plain accept (an older agent) still only acknowledges, the job stays assigned", async () => {
    const product = "batch-accept-plain";
    const { socket, leases } = await leased(product, 1);
    const lease = leases[0]!;
    const before = await getJob(product, lease.jobId);
    const stale = { type: "accept", id: "s", jobId: lease.jobId, leaseEpoch: lease.leaseEpoch + 1, stage: "building" };
    expect(await request(socket, stale)).toMatchObject({ type: "error", code: "fenced" });
    expect(await getJob(product, lease.jobId)).toEqual(before);
    expect((await request<Ack>(socket, { type: "accept", id: "a", ...lease })).result).toEqual({ jobId: lease.jobId });
    expect((await getJob(product, lease.jobId)).stage).toBe("assigned");
    socket.close();
  });
});

describe("batch frames", () => {
  it("applies N completes as one unit, answers one ack with each result in order, then pushes the freed seats", async () => {
    const product = "batch-completes";
    const n = 4;
    const { socket, jobs, leases } = await leased(product, 2 * n, n);
    const counts = await countUnits(product);
    const frames = leases.map((l) => ({ type: "complete", ...l, result: success }));
    const seen = socket.arrivals.length;
    const ack = await request<BatchAck>(socket, { type: "batch", id: "b1", frames });
    expect(counts).toEqual({ run: 1, nested: n });
    expect(ack.result.results).toEqual(
      leases.map((l) => ({ ok: true, result: { jobId: l.jobId, stage: "testing", leaseEpoch: l.leaseEpoch } })),
    );
    for (const l of leases) expect((await getJob(product, l.jobId)).stage).toBe("testing");
    // The freed seats get the rest — after the batch's ack (answer before dispatch), never before it.
    const pushed = new Set<string>();
    while (pushed.size < n)
      for (const a of (await socket.next<AssignFrame>("assign")).assignments) pushed.add(a.job.id);
    const rest = jobs.slice(n).map((j) => j.id);
    expect([...pushed].sort()).toEqual(rest.sort());
    expect(socket.arrivals[seen]).toBe("ack");
    socket.close();
  });

  it("fences only the stale frame: the others commit, each answered with its own result", async () => {
    const product = "batch-stale";
    const { socket, leases } = await leased(product, 3);
    const [a, stale, c] = leases as [(typeof leases)[0], (typeof leases)[0], (typeof leases)[0]];
    // The middle job's lease ran out: its holder's epoch is stale by the time the batch commits (lazy expiry).
    await expireLeaseNow(product, stale.jobId);
    const ack = await request<BatchAck>(socket, {
      type: "batch",
      id: "b",
      frames: [
        { type: "accept", ...a, stage: "building" },
        { type: "complete", ...stale, result: success },
        { type: "complete", ...c, result: success },
        { type: "renew", jobId: c.jobId, leaseEpoch: c.leaseEpoch + 7 },
      ],
    });
    expect(ack.result.results.map((r) => (r.ok ? r.result.stage : r.code))).toEqual([
      "building",
      "fenced",
      "testing",
      "fenced",
    ]);
    expect((await getJob(product, a.jobId)).stage).toBe("building");
    expect((await getJob(product, c.jobId)).stage).toBe("testing");
    expect((await getJob(product, stale.jobId)).stage).not.toBe("testing");
    socket.close();
  });

  it("undoes a refused frame's writes, even those it made before refusing, and keeps the lapsed lease's expiry once", async () => {
    const product = "batch-savepoint";
    const { socket, leases, factoryId } = await leased(product, 2);
    const [kept, lapsed] = leases as [(typeof leases)[0], (typeof leases)[0]];
    await expireLeaseNow(product, lapsed.jobId);
    const frames: BatchedFrame[] = [
      { type: "complete", ...kept, result: { outcome: "success", rc: 0 } },
      { type: "complete", ...lapsed, result: { outcome: "success", rc: 0 } },
    ];
    // Read the rows the moment the unit commits, before the alarm could expire the lapsed lease itself.
    const rows = await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
      const units = (instance as unknown as { units: Units }).units;
      const sql = state.storage.sql;
      const read = (id: string) =>
        sql.exec<{ stage: string; lease_epoch: number }>("SELECT stage, lease_epoch FROM jobs WHERE id = ?", id).one();
      const expiries = () => {
        const doc = sql.exec<{ doc: string }>("SELECT doc FROM factories WHERE id = ?", factoryId).one().doc;
        const lost = sql
          .exec<{ n: number }>(
            "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'event' AND job_id = ? AND body LIKE '%\"lease.lost\"%'",
            lapsed.jobId,
          )
          .one().n;
        return { onRecord: (JSON.parse(doc) as { leaseExpiries?: number[] }).leaseExpiries?.length ?? 0, lost };
      };
      let seen: unknown[] = [];
      await units.run(
        product,
        (tx) => applyBatch(tx, factoryId, frames, undefined, (fn) => units.nested(fn)),
        () => {
          seen = [read(kept.jobId), read(lapsed.jobId), expiries()];
        },
      );
      return seen;
    });
    // The lapsed frame's fence requeued the job at epoch + 1 and then refused: its savepoint undid that, and the
    // refusal kept the expiry in a savepoint of its own (runtime/kept-refusal `KeptRefusal`) — one expiry, not two.
    expect(rows).toEqual([
      { stage: "testing", lease_epoch: kept.leaseEpoch },
      { stage: "queued", lease_epoch: lapsed.leaseEpoch + 1 },
      { onRecord: 1, lost: 1 },
    ]);
    socket.close();
  });

  it("a complete repeated in a batch, or resent in the next one, is the idempotent resend it is alone", async () => {
    const product = "batch-duplicate";
    const { socket, leases } = await leased(product, 1);
    const complete = { type: "complete", ...leases[0], result: success };
    const first = await request<BatchAck>(socket, { type: "batch", id: "b1", frames: [complete, complete] });
    expect(first.result.results).toMatchObject([
      { ok: true, result: { stage: "testing" } },
      { ok: true, result: { stage: "testing", duplicate: true } },
    ]);
    const after = await getJob(product, leases[0]!.jobId);
    const again = await request<BatchAck>(socket, { type: "batch", id: "b2", frames: [complete] });
    expect(again.result.results).toMatchObject([{ ok: true, result: { duplicate: true } }]);
    expect(await getJob(product, leases[0]!.jobId)).toEqual(after);
    // A different outcome for the same lease is no resend: refused, alone, as a single frame would be.
    const fail = { type: "fail", ...leases[0], result: { outcome: "failure" } };
    const refused = await request<BatchAck>(socket, { type: "batch", id: "b3", frames: [fail] });
    expect(refused.result.results).toMatchObject([{ ok: false, code: "fenced" }]);
    socket.close();
  });

  it("refuses an invalid or oversized batch with one error frame, and changes nothing", async () => {
    const product = "batch-invalid";
    const { socket, leases } = await leased(product, 2);
    const before = await Promise.all(leases.map((l) => getJob(product, l.jobId)));
    const good = { type: "complete", ...leases[0], result: success };
    const bad: Array<[Record<string, unknown> | string, string]> = [
      [{ type: "batch", frames: [good] }, "validation_failed"], // no id: a batch is only useful with its answers
      [{ type: "batch", id: "e", frames: [] }, "validation_failed"],
      [{ type: "batch", id: "t", frames: Array(MAX_BATCH_FRAMES + 1).fill(good) }, "validation_failed"],
      [{ type: "batch", id: "i", frames: [good, { ...good, leaseEpoch: "1" }] }, "validation_failed"],
      [{ type: "batch", id: "d", frames: [good, { ...good, id: "x" }] }, "validation_failed"],
      [{ type: "batch", id: "h", frames: [good, { type: "heartbeat" }] }, "validation_failed"],
      [{ type: "batch", id: "n", frames: [good, { type: "batch", id: "m", frames: [good] }] }, "validation_failed"],
      [
        JSON.stringify({ type: "batch", id: "z", frames: [good], pad: "x".repeat(MAX_FRAME_BYTES) }),
        "payload_too_large",
      ],
    ];
    for (const [frame] of bad) socket.send(frame);
    const errors = [];
    for (let i = 0; i < bad.length; i++) errors.push(await socket.next<{ code: string; message: string }>("error"));
    expect(errors.map((e) => e.code)).toEqual(bad.map(([, code]) => code));
    expect(errors[3]?.message).toMatch(/^frames\.1\.leaseEpoch: /);
    expect(socket.arrivals).not.toContain("ack");
    expect(await Promise.all(leases.map((l) => getJob(product, l.jobId)))).toEqual(before);
    expect(socket.closed).toBeUndefined();
    socket.close();
  });
});
