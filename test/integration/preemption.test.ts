// Preemption in push dispatch, against real DO storage and factory WebSockets: off → nothing is evicted; on → a
// critical job evicts the lowest-priority running job on a capable connected factory (cancel `preempted` pushed
// before the assign, victim requeued with its attempt refunded, checkpoint kept, epoch bumped); never a job of equal
// priority; never twice within the cool-down; and a victim completing at the same moment: the first commit wins. A
// free seat that cannot run the critical job's capability bucket does not keep the pass from preempting for it.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../src/core/settings.ts";
import { setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import { ADMIN, api, enroll, getJob, P, submit, until } from "./client";
import { type AssignFrame, connectFactory, type TestSocket } from "./sockets";
import { dispatchSettled } from "./state";

type CancelFrame = { type: "cancel"; jobId: string; leaseEpoch: number; reason: string };

/** The settings record as part 1's PATCH writes it (meta key `settings`): set directly, no endpoint needed. */
async function setPreemption(product: string, on: boolean): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    const settings = JSON.stringify({ ...DEFAULT_SETTINGS, preemption: on });
    setMeta(state.storage.sql, "settings", settings); // the one write path, which keeps the meta cache in step
  });
}

/** A one-seat gpu factory, connected, running `priority` job "victim" (building, one checkpoint taken). */
async function busyFactory(product: string, priority = "low", name = "f") {
  const f = await enroll(product, name, ["gpu"], 1);
  const { socket } = await connectFactory(product, f.token, { capabilities: ["gpu"] });
  const victim = await submit(product, { title: `${name}-victim`, priority, requires: ["gpu"] });
  const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
  expect(a.job.id).toBe(victim.id);
  const lease = { jobId: victim.id, leaseEpoch: a.leaseEpoch };
  socket.send({
    type: "progress",
    id: "p1",
    ...lease,
    stage: "building",
    checkpoint: { branch: "gf/wip/v", sha: "abc1234" },
  });
  await socket.next("ack");
  return { f, socket, victim, lease };
}

/** Frames of `type` seen so far, in arrival order, without consuming them. */
const seen = (s: TestSocket, type: string) => s.frames.filter((f) => f.type === type);

describe("preemption", () => {
  it("with preemption off, a critical job waits and nothing is evicted", async () => {
    const product = "preempt-off";
    const { socket, victim } = await busyFactory(product);
    const crit = await submit(product, { title: "crit", priority: "critical", requires: ["gpu"] });
    // Dispatch runs after the submit answered (one pass per macrotask): once it ran, the state is the decision.
    await dispatchSettled(product);
    expect((await getJob(product, crit.id)).stage).toBe("queued");
    expect((await getJob(product, victim.id)).stage).toBe("building");
    expect(seen(socket, "cancel")).toEqual([]);
    socket.close();
  });

  it("a critical job evicts the lowest-priority running job: cancel before assign, attempt refunded, checkpoint kept", async () => {
    const product = "preempt-on";
    await setPreemption(product, true);
    const { socket, victim, lease } = await busyFactory(product);
    const crit = await submit(product, { title: "crit", priority: "critical", requires: ["gpu"] });
    await until(
      async () => seen(socket, "assign").length,
      (n) => n >= 1,
      { what: "the assign that places the critical job" },
    );
    // Order matters: the factory must stop the victim before it reads the assign for that seat.
    expect(socket.frames.map((f) => f.type).filter((t) => t === "cancel" || t === "assign")).toEqual([
      "cancel",
      "assign",
    ]);
    const cancel = await socket.next<CancelFrame>("cancel");
    const preempted = { reason: "preempted", code: "preempted" };
    expect(cancel).toMatchObject({ jobId: victim.id, leaseEpoch: lease.leaseEpoch, ...preempted });
    const assign = await socket.next<AssignFrame>("assign");
    expect(assign.assignments.map((a) => a.job.id)).toEqual([crit.id]);
    const v = await getJob(product, victim.id);
    expect(v).toMatchObject({
      stage: "queued",
      attempt: 0,
      leaseEpoch: lease.leaseEpoch + 1,
      checkpoint: { branch: "gf/wip/v", sha: "abc1234" },
      preemptedBy: crit.id,
      lastResult: { outcome: "preempted", message: `preempted by ${crit.id}`, retryable: true }, // not a cancel
    });
    expect(typeof v.preemptedAt).toBe("number");
    expect(v.holderFactoryId).toBeUndefined();
    const runs = await api<{ runs: Array<{ leaseEpoch: number; result?: { outcome: string; message?: string } }> }>(
      "GET",
      `${P(product)}/jobs/${victim.id}/runs`,
      { token: ADMIN },
    );
    expect(runs.body.runs.at(-1)?.result).toMatchObject({ outcome: "preempted", message: `preempted by ${crit.id}` });
    expect((await getJob(product, crit.id)).stage).toBe("assigned");
    const why = await api<{ preemption: Record<string, unknown> }>("GET", `${P(product)}/jobs/${victim.id}/explain`, {
      token: ADMIN,
    });
    expect(why.body.preemption).toMatchObject({ preemptedBy: crit.id, preemptedAt: v.preemptedAt });
    const events = await until(
      async () =>
        (
          await api<{ events: Array<{ type: string; data: Record<string, unknown> }> }>(
            "GET",
            `${P(product)}/jobs/${victim.id}/events`,
            { token: ADMIN },
          )
        ).body.events ?? [],
      (es) => es.some((e) => e.type === "job.preempted"),
    );
    expect(events.find((e) => e.type === "job.preempted")?.data).toMatchObject({
      by: crit.id,
      leaseEpoch: lease.leaseEpoch,
    });
    expect(events.find((e) => e.type === "lease.lost" && e.data.why === `preempted by ${crit.id}`)).toBeDefined();
    // The evicted holder is fenced out: its late progress is refused.
    socket.send({ type: "progress", id: "late", ...lease, pct: 90 });
    expect(await socket.next("error")).toMatchObject({ id: "late", code: "fenced" });
    socket.close();
  });

  it("preempts for a critical job whose capability bucket no free seat can run, while a free seat waits elsewhere", async () => {
    const product = "preempt-bucket";
    await setPreemption(product, true);
    const { f, socket, victim } = await busyFactory(product);
    const cpu = await enroll(product, "cpu", ["os:linux"], 1);
    const free = (await connectFactory(product, cpu.token, { capabilities: ["os:linux"] })).socket;
    // The pass walks the gpu bucket for its critical class only (busy gpu factory), not for the free cpu seat.
    const crit = await submit(product, { title: "crit", priority: "critical", requires: ["gpu"] });
    const placed = await until(
      () => getJob(product, crit.id),
      (j) => j.stage === "assigned",
    );
    expect(placed.holderFactoryId).toBe(f.factoryId);
    expect(seen(socket, "cancel").map((c) => (c as unknown as CancelFrame).jobId)).toEqual([victim.id]);
    expect(seen(free, "assign")).toEqual([]);
    socket.close();
    free.close();
  });

  it("the victim resumes from its checkpoint on another seat, and assignment clears the preemption marks", async () => {
    const product = "preempt-resume";
    await setPreemption(product, true);
    const { socket, victim } = await busyFactory(product);
    await submit(product, { title: "crit", priority: "critical", requires: ["gpu"] });
    await socket.next("cancel");
    const g = await enroll(product, "g", ["gpu"], 1);
    const other = await connectFactory(product, g.token, { capabilities: ["gpu"] });
    const a = (await other.socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(a.job).toMatchObject({ id: victim.id, checkpoint: { sha: "abc1234" }, attempt: 1 });
    expect(a.job.preemptedBy).toBeUndefined();
    expect(a.job.preemptedAt).toBeUndefined();
    socket.close();
    other.socket.close();
  });

  it("never evicts a job of equal priority: with a critical and a high job running, the high one goes", async () => {
    const product = "preempt-equal";
    await setPreemption(product, true);
    const f = await enroll(product, "f", ["gpu"], 2);
    const { socket } = await connectFactory(product, f.token, { capabilities: ["gpu"], seats: 2 });
    const c1 = await submit(product, { title: "c1", priority: "critical", requires: ["gpu"] });
    const h = await submit(product, { title: "h", priority: "high", requires: ["gpu"] });
    await until(
      async () => seen(socket, "assign").length,
      (n) => n >= 2,
      { what: "the second assign (both gpu seats held)" },
    );
    const c2 = await submit(product, { title: "c2", priority: "critical", requires: ["gpu"] });
    expect(await socket.next<CancelFrame>("cancel")).toMatchObject({ jobId: h.id, reason: "preempted" });
    expect((await getJob(product, c1.id)).stage).toBe("assigned");
    expect((await getJob(product, c2.id)).stage).toBe("assigned");
    // Now only critical jobs run: a third critical job waits, nobody is evicted.
    const c3 = await submit(product, { title: "c3", priority: "critical", requires: ["gpu"] });
    await dispatchSettled(product);
    expect((await getJob(product, c3.id)).stage).toBe("queued");
    expect(seen(socket, "cancel")).toEqual([]);
    socket.close();
  });

  it("never preempts the same job twice within the cool-down; after it, may again", async () => {
    const product = "preempt-cooldown";
    await setPreemption(product, true);
    const { socket, victim } = await busyFactory(product);
    await submit(product, { title: "crit1", priority: "critical", requires: ["gpu"] });
    await socket.next("cancel");
    // The victim runs again on g; a second critical job finds it there, inside its cool-down.
    const g = await enroll(product, "g", ["gpu"], 1);
    const other = await connectFactory(product, g.token, { capabilities: ["gpu"] });
    expect((await other.socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(victim.id);
    const crit2 = await submit(product, { title: "crit2", priority: "critical", requires: ["gpu"] });
    await dispatchSettled(product);
    expect((await getJob(product, crit2.id)).stage).toBe("queued");
    expect(seen(other.socket, "cancel")).toEqual([]);
    const why = await api<{ preemption: Record<string, unknown> }>("GET", `${P(product)}/jobs/${crit2.id}/explain`, {
      token: ADMIN,
    });
    expect(why.body.preemption).toMatchObject({ wouldPreempt: null, notBecause: "no_eligible_victim" });
    // 11 minutes later (the run's end moved back): the next dispatch pass may evict it again.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec("UPDATE runs SET ended_at = ended_at - 660000 WHERE job_id = ?", victim.id);
    });
    await submit(product, { title: "nudge", priority: "low" }); // any queue move runs a pass
    expect(await other.socket.next<CancelFrame>("cancel")).toMatchObject({ jobId: victim.id, reason: "preempted" });
    expect((await getJob(product, crit2.id)).stage).toBe("assigned");
    socket.close();
    other.socket.close();
  });

  it("one eviction per critical job: when the seat it took is refused, it evicts nobody else within the cool-down", async () => {
    const product = "preempt-once";
    await setPreemption(product, true);
    const f = await busyFactory(product, "medium", "f");
    const g = await busyFactory(product, "low", "g");
    const crit = await submit(product, { title: "crit", priority: "critical", requires: ["gpu"] });
    expect(await g.socket.next<CancelFrame>("cancel")).toMatchObject({ jobId: g.victim.id });
    const a = (await g.socket.next<AssignFrame>("assign")).assignments[0]!;
    // g turns the critical job down; its victim takes the seat back (same pass), and f's medium job is left alone.
    g.socket.send({ type: "release", id: "r", jobId: crit.id, leaseEpoch: a.leaseEpoch, reason: "no free seat" });
    await g.socket.next("ack");
    expect((await g.socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(g.victim.id);
    await dispatchSettled(product);
    expect((await getJob(product, crit.id)).stage).toBe("queued");
    expect(seen(f.socket, "cancel")).toEqual([]);
    const why = await api<{ preemption: Record<string, unknown> }>("GET", `${P(product)}/jobs/${crit.id}/explain`, {
      token: ADMIN,
    });
    expect(why.body.preemption).toMatchObject({ wouldPreempt: null, notBecause: "eviction_in_flight" });
    f.socket.close();
    g.socket.close();
  });

  it("a completion that lands after the preemption is fenced; the victim stays requeued with its checkpoint", async () => {
    const product = "preempt-late-complete";
    await setPreemption(product, true);
    const { socket, victim, lease } = await busyFactory(product);
    await submit(product, { title: "crit", priority: "critical", requires: ["gpu"] });
    await socket.next("cancel");
    socket.send({ type: "complete", id: "done", ...lease, result: { outcome: "success", rc: 0 } });
    expect(await socket.next("error")).toMatchObject({ id: "done", code: "fenced" });
    expect(await getJob(product, victim.id)).toMatchObject({ stage: "queued", checkpoint: { sha: "abc1234" } });
    socket.close();
  });

  for (const order of ["complete sent first", "submit sent first"] as const) {
    it(`a victim completing at the same moment as the preemption (${order}): the first commit wins, never both`, async () => {
      const product = `preempt-race-${order.split(" ")[0]}`;
      await setPreemption(product, true);
      const { socket, victim, lease } = await busyFactory(product);
      const complete = () =>
        socket.send({ type: "complete", id: "done", ...lease, result: { outcome: "success", rc: 0 } });
      if (order === "complete sent first") complete();
      const submitted = submit(product, { title: "crit", priority: "critical", requires: ["gpu"] });
      if (order === "submit sent first") complete();
      const crit = await submitted;
      const answer = await until(
        async () => socket.frames.find((f) => f.id === "done"),
        (f) => f !== undefined,
      );
      await until(
        async () => seen(socket, "assign").length,
        (n) => n >= 1,
        { what: "the assign that places the critical job" },
      );
      const v = await getJob(product, victim.id);
      expect((await getJob(product, crit.id)).stage).toBe("assigned");
      if (answer?.type === "ack") {
        // The completion committed first: the seat was free, the critical job just took it.
        expect(v.stage).toBe("testing");
        expect(seen(socket, "cancel")).toEqual([]);
      } else {
        // The preemption committed first: the completion was fenced, the victim requeued with its checkpoint.
        expect(answer).toMatchObject({ type: "error", code: "fenced" });
        expect(v).toMatchObject({ stage: "queued", preemptedBy: crit.id, checkpoint: { sha: "abc1234" } });
        expect(seen(socket, "cancel")).toHaveLength(1);
      }
      socket.close();
    });
  }

  it("a free factory whose breaker refuses the critical job does not hide it from preemption on a working one", async () => {
    const product = "preempt-breaker";
    await setPreemption(product, true);
    const { socket, victim } = await busyFactory(product);
    const broken = await enroll(product, "broken", ["gpu"], 1);
    const other = await connectFactory(product, broken.token, { capabilities: ["gpu"] });
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec(
        `INSERT INTO breakers(factory_id, engine, consecutive_failures, open_until, cool_down_s, trial_out)
         VALUES (?, '*', 5, ?, 3600, 0)`,
        broken.factoryId,
        Date.now() + 3_600_000,
      );
    });
    // The walk skips jobs an open breaker refuses on every free factory (dispatch/urgency-order), but not critical
    // ones with preemption on: the busy factory's breaker is closed.
    const crit = await submit(product, { title: "crit", priority: "critical", requires: ["gpu"] });
    const assign = await socket.next<AssignFrame>("assign");
    expect(assign.assignments.map((a) => a.job.id)).toEqual([crit.id]);
    expect((await getJob(product, victim.id)).stage).toBe("queued");
    expect(seen(other.socket, "assign")).toEqual([]);
    other.socket.close();
    socket.close();
  });
});
