// Frames applied in turns (factories/frame-turns), end to end over a real socket: a hello and the frames sent right
// behind it (before the welcome) are accepted, and a job's accept, building, a stale renew and complete sent back to
// back are answered in that order — the refused one with its error, the rest still applied, the job in testing —
// with no dispatch pass per frame. (Which frames share a turn is proven in test/unit/frame-turns.test.ts.)
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { enroll, getJob, submit } from "./client";
import { type AssignFrame, openSocket } from "./sockets";

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
    // Counted from here: every pass the coordinator runs (push dispatch), to see the turn's frames share one.
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
  });
});
