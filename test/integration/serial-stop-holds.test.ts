// Serial gates across a lost lease (SPEC §6 "one at a time"): when the coordinator takes a running job's lease by
// force — an operator's cancel or requeue, a preemption — or the lease lapses (the holder stopped renewing: its agent
// runs the engine on for its lapse grace), the next job of its serial key is NOT dispatched, pushed or claimed over
// HTTP, while the old factory may still be running the engine: the key stays held by that run until the factory's
// `stopped` frame for exactly that job and epoch (another factory's, or another epoch's, ends nothing), or until the
// agent would have stopped it on its own (the alarm then hands the key on). Meanwhile explain and `GET …/serial` name
// the stopping job.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { engineStopsBy } from "../../src/core/serial-holds.ts";
import { DEFAULT_SETTINGS } from "../../src/core/settings.ts";
import { setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit, until } from "./client.ts";
import { type AssignFrame, connectFactory, type TestSocket } from "./sockets.ts";
import { dispatchSettled, holdAlarm, lapseLease, lapseSerialHolds, makeAlarmDue, settleAlarm } from "./state.ts";

type Reason = { code: string; message: string; detail: Record<string, unknown> };

const explain = async (product: string, id: string) =>
  (await api<{ waitingReason: Reason }>("GET", `${P(product)}/jobs/${id}/explain`, { token: ADMIN })).body
    .waitingReason;
const gates = async (product: string) =>
  (await api<{ keys: Array<Record<string, unknown>> }>("GET", `${P(product)}/serial`, { token: ADMIN })).body.keys;
const assigns = (s: TestSocket) => s.frames.filter((f) => f.type === "assign");

/** Send a `stopped` frame and return its ack's result. */
async function stopped(s: TestSocket, id: string, jobId: string, leaseEpoch: number) {
  s.send({ type: "stopped", id, jobId, leaseEpoch });
  return (await s.answer<{ type: string; result?: unknown }>(id)).result;
}

/** Factory f running job A of key `repo/main` (building); factory g idle; job B of the same key waiting. */
async function heldKey(product: string) {
  const f = await enroll(product, "f", [], 1);
  const { socket: fs } = await connectFactory(product, f.token);
  const a = await submit(product, { title: "A", serialKey: "repo/main" });
  const lease = (await fs.next<AssignFrame>("assign")).assignments[0]!;
  expect(lease.job.id).toBe(a.id);
  fs.send({ type: "progress", id: "p1", jobId: a.id, leaseEpoch: lease.leaseEpoch, stage: "building" });
  await fs.answer("p1");
  const g = await enroll(product, "g", [], 1);
  const { socket: gs } = await connectFactory(product, g.token);
  const b = await submit(product, { title: "B", serialKey: "repo/main" });
  await dispatchSettled(product);
  expect((await getJob(product, b.id)).stage).toBe("queued");
  return { f, fs, g, gs, a, b, epoch: lease.leaseEpoch, expiresAt: lease.expiresAt };
}

describe.each(["cancel", "requeue"])("after an operator's %s of the running holder", (action) => {
  it("the key's next job waits until the old factory says its run stopped, for exactly that run", async () => {
    const product = `serial-stop-${action}`;
    const { f, fs, gs, a, b, epoch } = await heldKey(product);
    expect((await api("POST", `${P(product)}/jobs/${a.id}/actions/${action}`, { token: ADMIN, json: {} })).status).toBe(
      200,
    );
    expect(await fs.next("cancel")).toMatchObject({ jobId: a.id, leaseEpoch: epoch, code: "operator" });
    await dispatchSettled(product);
    // The old engine may still be working: neither B nor (requeued) A goes anywhere.
    expect((await getJob(product, b.id)).stage).toBe("queued");
    expect([...assigns(fs), ...assigns(gs)]).toEqual([]);

    const why = await explain(product, b.id);
    expect(why).toMatchObject({
      code: "serial_key_held",
      detail: {
        serialKey: "repo/main",
        holder: a.id,
        stopping: { jobId: a.id, factoryId: f.factoryId, leaseEpoch: epoch },
      },
    });
    expect(why.message).toContain(`held while job ${a.id} stops on factory ${f.factoryId}`);
    const gate = (await gates(product)).find((k) => k.key === "repo/main");
    expect(gate).toMatchObject({ holder: null, stopping: { jobId: a.id, factoryId: f.factoryId, leaseEpoch: epoch } });

    // Fenced on the exact run: another factory's frame, or another epoch's, ends nothing.
    expect(await stopped(gs, "s1", a.id, epoch)).toEqual({ jobId: a.id, released: false });
    expect(await stopped(fs, "s2", a.id, epoch + 1)).toEqual({ jobId: a.id, released: false });
    await dispatchSettled(product);
    expect((await getJob(product, b.id)).stage).toBe("queued");

    // The old factory says its engine stopped: the key goes on at once.
    expect(await stopped(fs, "s3", a.id, epoch)).toEqual({ jobId: a.id, released: true });
    const next = await until(
      async () => [...assigns(fs), ...assigns(gs)].flatMap((x) => (x as unknown as AssignFrame).assignments),
      (list) => list.length > 0,
    );
    expect(next).toHaveLength(1); // one at a time again: one job of the key
    expect(next[0]!.job.serialKey).toBe("repo/main");
    fs.close();
    gs.close();
  });
});

describe("after a preemption of the running holder", () => {
  it("the key's next job waits out the hold's bound when the factory never says it stopped", async () => {
    const product = "serial-stop-preempt";
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      setMeta(state.storage.sql, "settings", JSON.stringify({ ...DEFAULT_SETTINGS, preemption: true }));
    });
    const f = await enroll(product, "f", ["gpu"], 1);
    const { socket: fs } = await connectFactory(product, f.token, { capabilities: ["gpu"] });
    const victim = await submit(product, { title: "V", priority: "low", requires: ["gpu"], serialKey: "repo/main" });
    const lease = (await fs.next<AssignFrame>("assign")).assignments[0]!;
    const holdEnd = engineStopsBy(lease.expiresAt, DEFAULT_SETTINGS.leaseTtlSeconds);
    const g = await enroll(product, "g", [], 1);
    const { socket: gs } = await connectFactory(product, g.token);
    const b = await submit(product, { title: "B", serialKey: "repo/main" });
    await dispatchSettled(product);
    expect((await getJob(product, b.id)).stage).toBe("queued");

    const crit = await submit(product, { title: "C", priority: "critical", requires: ["gpu"] });
    expect(await fs.next("cancel")).toMatchObject({ jobId: victim.id, reason: "preempted" });
    expect((await fs.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(crit.id);
    // A pass after the preemption's own (the alarm's always runs one): the stopping victim still holds the key.
    await settleAlarm(product);
    await makeAlarmDue(product);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    await dispatchSettled(product);
    expect((await getJob(product, b.id)).stage).toBe("queued");
    expect(assigns(gs)).toEqual([]);
    expect((await explain(product, b.id)).detail).toMatchObject({
      stopping: { jobId: victim.id, factoryId: f.factoryId, leaseEpoch: lease.leaseEpoch, until: holdEnd },
    });
    // The hold is stored (a restarted coordinator keeps it) and bounded: the victim's old lease expiry plus the grace
    // its agent, hearing nothing, gives the engine before stopping it (core/serial-holds `engineStopsBy`).
    const rows = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      state.storage.sql.exec("SELECT job_id, until FROM serial_holds").toArray(),
    );
    expect(rows).toEqual([{ job_id: victim.id, until: holdEnd }]);

    // That expiry passes: the alarm's pass hands the key to B (V needs the gpu seat C holds).
    await settleAlarm(product);
    await lapseSerialHolds(product, victim.id);
    await makeAlarmDue(product);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    const pushed = await gs.next<AssignFrame>("assign");
    expect(pushed.assignments.map((x) => x.job.id)).toEqual([b.id]);
    fs.close();
    gs.close();
  });
});

describe("after the running holder's lease lapses", () => {
  it("the key's next job is not pushed beside the old engine, which runs on for its agent's lapse grace", async () => {
    const product = "serial-stop-lapse-push";
    const { f, fs, gs, a, b, epoch } = await heldKey(product);
    await settleAlarm(product);
    await lapseLease(product, a.id); // f stopped renewing: a partition, a crash
    await makeAlarmDue(product);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    expect((await getJob(product, a.id)).stage).toBe("queued");
    await dispatchSettled(product);
    expect((await getJob(product, b.id)).stage).toBe("queued");
    expect([...assigns(fs), ...assigns(gs)]).toEqual([]);
    expect((await explain(product, b.id)).detail).toMatchObject({
      serialKey: "repo/main",
      stopping: { jobId: a.id, factoryId: f.factoryId, leaseEpoch: epoch },
    });
    // The old factory says its engine stopped: the key goes on at once, to one job.
    expect(await stopped(fs, "s1", a.id, epoch)).toEqual({ jobId: a.id, released: true });
    const next = await until(
      async () => [...assigns(fs), ...assigns(gs)].flatMap((x) => (x as unknown as AssignFrame).assignments),
      (list) => list.length > 0,
    );
    expect(next).toHaveLength(1);
    expect(next[0]!.job.serialKey).toBe("repo/main");
    fs.close();
    gs.close();
  });

  it("a `stopped` for a lapsed lease the alarm has not expired yet expires it and ends its hold at once", async () => {
    const product = "serial-stop-lapse-early";
    const { fs, gs, a, b, epoch } = await heldKey(product);
    await settleAlarm(product);
    const release = await holdAlarm(product);
    await lapseLease(product, a.id); // lapsed; the alarm that would expire it has not run
    expect((await getJob(product, a.id)).stage).toBe("building");
    expect(await stopped(fs, "s1", a.id, epoch)).toEqual({ jobId: a.id, released: true });
    expect((await getJob(product, a.id)).stage).toBe("queued");
    const next = await until(
      async () => [...assigns(fs), ...assigns(gs)].flatMap((x) => (x as unknown as AssignFrame).assignments),
      (list) => list.length > 0,
    );
    expect(next).toHaveLength(1);
    expect(next[0]!.job.serialKey).toBe("repo/main");
    expect([a.id, b.id]).toContain(next[0]!.job.id);
    await release();
    fs.close();
    gs.close();
  });

  it("an HTTP claim that expires the lapsed lease itself does not take the key's next job", async () => {
    const product = "serial-stop-lapse-claim";
    const f = await enroll(product, "f", [], 1);
    const g = await enroll(product, "g", [], 1);
    const a = await submit(product, { title: "A", serialKey: "repo/main" });
    const b = await submit(product, { title: "B", serialKey: "repo/main" });
    const first = await claim(product, f.token);
    expect(first.body.job.id).toBe(a.id);
    await settleAlarm(product);
    await lapseLease(product, a.id);
    expect((await claim(product, g.token)).status).toBe(204); // the claim's own expiry keeps the key held
    expect((await getJob(product, a.id)).stage).toBe("queued");
    expect((await getJob(product, b.id)).stage).toBe("queued");
    // Once the hold's end passes, the key opens.
    await lapseSerialHolds(product, a.id);
    const next = await claim(product, g.token);
    expect(next.status).toBe(200);
    expect(next.body.job.serialKey).toBe("repo/main");
  });
});
