// The runtime floor (bench/floor.ts) is a figure issue 12's targets are read against, so it must measure what it
// claims: the floor's coordinator keeps jobs on disk across a restart, fences every frame by holder, lease epoch
// and stage (in both modes), finishes every job of W1 and W2 once, takes the harness's shape by default, refuses
// bad counts, and leaves no runtime or state behind. Small counts: this proves the bench, it does not time anything.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { floorArgs, startFloor } from "../../bench/floor.ts";
import { floorW1, floorW2 } from "../../bench/floor-workloads.ts";
import { processTree } from "../../bench/proc-tree.ts";

type Frame = { type: string; id?: string; code?: string; assignments?: Array<{ jobId: number; leaseEpoch: number }> };
const BOUND = { timeout: 60_000 };

/** A raw factory socket: `answer(id)` is the ack or error for frame `id`, `next(type)` the next frame of a type. */
async function socket(base: string, query = "") {
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/connect${query}`);
  const frames: Frame[] = [];
  ws.on("message", (raw) => frames.push(JSON.parse(String(raw)) as Frame));
  await new Promise((res, rej) => ws.once("open", res).once("error", rej));
  const wait = (match: (f: Frame) => boolean, what: string) =>
    new Promise<Frame>((resolve, reject) => {
      const until = Date.now() + 10_000;
      const look = () => {
        const i = frames.findIndex(match);
        if (i >= 0) resolve(frames.splice(i, 1)[0]!);
        else if (Date.now() > until) reject(new Error(`no ${what} within 10 s`));
        else setTimeout(look, 5);
      };
      look();
    });
  const send = (f: Record<string, unknown>) => ws.send(JSON.stringify(f));
  send({ type: "hello", seats: 1 });
  await wait((f) => f.type === "welcome", "welcome");
  return {
    send,
    next: (type: string) => wait((f) => f.type === type, `${type} frame`),
    answer: (id: string) => wait((f) => f.id === id, `answer to ${id}`),
    close: () => ws.close(),
  };
}

const submit = (base: string, keys: string[]) =>
  fetch(`${base}/jobs`, { method: "POST", body: JSON.stringify({ jobs: keys.map((key) => ({ key, body: key })) }) });
const stats = async (base: string) => (await (await fetch(`${base}/stats`)).json()) as Record<string, number>;

describe("bench floor: the least durable, fenced push coordinator", () => {
  let floor: Awaited<ReturnType<typeof startFloor>>;
  beforeAll(async () => {
    floor = await startFloor();
  });
  afterAll(async () => {
    await floor?.stop();
  });

  for (const mode of ["commit", "memory"] as const) {
    it(`fences frames by holder, lease epoch and stage (${mode} mode)`, BOUND, async () => {
      const q = mode === "memory" ? "?memory=1" : "";
      const mine = await socket(floor.base, q);
      expect((await submit(floor.base, [`fence-${mode}`])).status).toBe(201);
      const a = (await mine.next("assign")).assignments![0]!;
      const other = await socket(floor.base, q);
      const frame = (type: string, id: string, epoch = a.leaseEpoch) => ({
        type,
        id,
        jobId: a.jobId,
        leaseEpoch: epoch,
      });
      mine.send(frame("accept", "stale", a.leaseEpoch + 1));
      expect(await mine.answer("stale")).toMatchObject({ type: "error", code: "fenced" });
      other.send(frame("accept", "stranger"));
      expect(await other.answer("stranger")).toMatchObject({ type: "error", code: "fenced" });
      mine.send(frame("progress", "early"));
      expect(await mine.answer("early")).toMatchObject({ type: "error", code: "fenced" });
      for (const [type, id] of [
        ["accept", "a"],
        ["progress", "b"],
      ] as const) {
        mine.send(frame(type, id));
        expect(await mine.answer(id)).toMatchObject({ type: "ack" });
      }
      // A refused complete changes nothing: the holder's own complete still lands.
      mine.send(frame("complete", "stale-complete", a.leaseEpoch + 1));
      expect(await mine.answer("stale-complete")).toMatchObject({ type: "error", code: "fenced" });
      mine.send(frame("complete", "c"));
      expect(await mine.answer("c")).toMatchObject({ type: "ack" });
      mine.send(frame("complete", "again"));
      expect(await mine.answer("again")).toMatchObject({ type: "error", code: "fenced" });
      mine.close();
      other.close();
    });
  }

  it("finishes every job of W1 and W2 once, in both modes, and checks its own storage", BOUND, async () => {
    const log = () => {};
    for (const memory of [false, true]) {
      const w1 = await floorW1(floor.base, 60, { memory }, log);
      expect(w1).toMatchObject({ jobs: 60, duplicates: 0 });
      expect(w1.jobsPerSec).toBeGreaterThan(0);
      const w2 = await floorW2(floor.base, 50, 0.4, { memory }, log);
      expect(w2).toMatchObject({ jobs: 20, duplicates: 0 });
      expect(w2.p50Ms).not.toBeNull();
    }
  });

  it("keeps its jobs on disk: a restarted runtime on the same state finds them", BOUND, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gf-floor-test-"));
    try {
      const first = await startFloor(dir);
      expect((await submit(first.base, ["kept-1", "kept-2", "kept-1"])).status).toBe(201);
      await first.stop();
      const again = await startFloor(dir);
      expect(await stats(again.base)).toEqual({ queued: 2 });
      await again.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes the harness's shape by default and refuses bad counts", () => {
    expect(floorArgs([])).toEqual({ help: false, json: false, memory: false, jobs: 20_000, rate: 200, seconds: 5 });
    expect(floorArgs(["--memory"])).toMatchObject({ memory: true });
    expect(floorArgs(["--jobs", "2.5"])).toMatch(/--jobs/);
    expect(floorArgs(["--rate", "0"])).toMatch(/--rate/);
    expect(floorArgs(["--seconds", "nope"])).toMatch(/--seconds/);
    expect(floorArgs(["--rate", "0.4", "--seconds", "1"])).toMatch(/at least 1/);
    expect(floorArgs(["--bogus"])).toMatch(/bogus/);
  });

  it("leaves no runtime and no state behind when stopped", BOUND, async () => {
    const workerds = () => processTree(process.pid).filter((p) => p.comm === "workerd").length;
    const before = workerds();
    const other = await startFloor();
    expect(workerds()).toBe(before + 1);
    expect(existsSync(other.dir)).toBe(true);
    await other.stop();
    expect(workerds()).toBe(before);
    expect(existsSync(other.dir)).toBe(false);
  });
});
