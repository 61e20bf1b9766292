// The runtime floor (bench/floor.ts) is a figure issue 12's targets are read against, so it must measure what it
// claims: the floor's coordinator refuses a frame with a stale lease epoch, finishes every job of W1 and W2 once,
// takes the harness's shape by default, and leaves no runtime behind. Small counts: this proves the bench, it does
// not time anything.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { floorArgs, startFloor } from "../../bench/floor.ts";
import { floorW1, floorW2 } from "../../bench/floor-workloads.ts";
import { processTree } from "../../bench/proc-tree.ts";

type Frame = { type: string; id?: string; code?: string; assignments?: Array<{ jobId: number; leaseEpoch: number }> };

describe("bench floor: the least durable, fenced push coordinator", () => {
  let floor: Awaited<ReturnType<typeof startFloor>>;
  beforeAll(async () => {
    floor = await startFloor();
  });
  afterAll(async () => {
    await floor?.stop();
  });

  it("refuses a frame with a stale lease epoch and acks the current one", async () => {
    const ws = new WebSocket(`${floor.base.replace(/^http/, "ws")}/connect`);
    const frames: Frame[] = [];
    // The first frame of `type`, or the answer to the frame `id` sent (ack or error, whichever came): bounded.
    const next = (type: string, id?: string) =>
      new Promise<Frame>((resolve, reject) => {
        const until = Date.now() + 10_000;
        const look = () => {
          const i = frames.findIndex((f) => (id ? f.id === id : f.type === type));
          if (i >= 0) resolve(frames.splice(i, 1)[0]!);
          else if (Date.now() > until) reject(new Error(`no ${id ? `answer to ${id}` : type} frame within 10 s`));
          else setTimeout(look, 5);
        };
        look();
      });
    ws.on("message", (raw) => frames.push(JSON.parse(String(raw)) as Frame));
    await new Promise((res, rej) => ws.once("open", res).once("error", rej));
    ws.send(JSON.stringify({ type: "hello", seats: 1 }));
    await next("welcome");
    const res = await fetch(`${floor.base}/jobs`, { method: "POST", body: JSON.stringify({ bodies: ["x"] }) });
    expect(res.status).toBe(201);
    const a = (await next("assign")).assignments![0]!;
    ws.send(JSON.stringify({ type: "accept", id: "stale", jobId: a.jobId, leaseEpoch: a.leaseEpoch + 1 }));
    expect(await next("answer", "stale")).toMatchObject({ type: "error", code: "fenced" });
    ws.send(JSON.stringify({ type: "accept", id: "ok", jobId: a.jobId, leaseEpoch: a.leaseEpoch }));
    expect(await next("answer", "ok")).toMatchObject({ type: "ack" });
    ws.close();
  });

  it("finishes every job of W1 and W2 exactly once and reports figures", async () => {
    const log = () => {};
    const w1 = await floorW1(floor.base, 60, log);
    expect(w1).toMatchObject({ jobs: 60, duplicates: 0 });
    expect(w1.jobsPerSec).toBeGreaterThan(0);
    const w2 = await floorW2(floor.base, 50, 0.4, log);
    expect(w2).toMatchObject({ jobs: 20, duplicates: 0 });
    expect(w2.p50Ms).not.toBeNull();
    expect(w2.p99Ms!).toBeGreaterThanOrEqual(w2.p50Ms!);
  });

  it("takes the harness's shape by default and refuses bad counts", () => {
    expect(floorArgs([])).toEqual({ json: false, jobs: 10_000, rate: 200, seconds: 5 });
    expect(floorArgs(["--jobs", "2.5"])).toMatch(/--jobs/);
    expect(floorArgs(["--rate", "0"])).toMatch(/--rate/);
    expect(floorArgs(["--seconds", "nope"])).toMatch(/--seconds/);
    expect(floorArgs(["--bogus"])).toMatch(/bogus/);
  });

  it("leaves no runtime behind when stopped", async () => {
    const other = await startFloor();
    const before = processTree(process.pid).filter((p) => p.comm === "workerd").length;
    await other.stop();
    const after = processTree(process.pid).filter((p) => p.comm === "workerd").length;
    expect(after).toBe(before - 1);
  });
});
