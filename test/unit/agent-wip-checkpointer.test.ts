// The WIP checkpoint cadence: a checkpoint slower than the interval never piles ticks up behind it, and a failing
// checkpoint is an operator warning (`checkpoint.failed`), once per distinct failure, not a line per tick.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Snapshot } from "../../src/agent/checkpoint.ts";
import { WipCheckpointer } from "../../src/agent/wip-checkpointer.ts";
import type { Workspace } from "../../src/agent/workspace.ts";

const ws = { jobId: "job_w", leaseEpoch: 1, kind: "scratch", dir: "/nowhere", base: "b", pushTargets: [] } as Workspace;

function checkpointer(snapshot: () => Promise<Snapshot>) {
  const warnings: string[] = [];
  const notes: string[] = [];
  const wip = new WipCheckpointer({
    ws,
    jobId: "job_w",
    attempt: 1,
    announce: async () => true,
    note: (t) => notes.push(t),
    stopped: () => false,
    warn: (event, text) => warnings.push(`${event}: ${text}`),
    steps: { snapshot, push: async () => ({ branch: "gf/wip/job_w-e1", target: "origin" }) },
  });
  return { wip, warnings, notes };
}

afterEach(() => vi.useRealTimers());

describe("WIP checkpoint ticks", () => {
  it("skip while one checkpoint is in flight instead of queueing a backlog behind it", async () => {
    vi.useFakeTimers();
    let calls = 0;
    let release: () => void = () => undefined;
    const { wip } = checkpointer(() => {
      calls += 1;
      return new Promise<Snapshot>((resolve) => {
        release = () => resolve({ sha: `s${calls}`, changed: true });
      });
    });
    wip.start(100);
    await vi.advanceTimersByTimeAsync(1_000); // ten ticks, the first checkpoint still running
    expect(calls).toBe(1);
    expect(wip.busy).toBe(true);
    release();
    await vi.advanceTimersByTimeAsync(1); // settles the chain (the next tick is at 1 100 ms)
    expect(wip.busy).toBe(false);
    expect(calls).toBe(1); // nothing was queued behind it
    await vi.advanceTimersByTimeAsync(99); // the cadence goes on
    expect(calls).toBe(2);
    wip.stop();
    release();
    await vi.advanceTimersByTimeAsync(1);
    expect(wip.busy).toBe(false);
  });

  it("a final checkpoint asked for while one is in flight still runs, after it", async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const { wip } = checkpointer(() => {
      calls += 1;
      return new Promise<Snapshot>((resolve) => {
        release = () => resolve({ sha: `s${calls}`, changed: true });
      });
    });
    const first = wip.take(false);
    const final = wip.take(true);
    await vi.waitFor(() => expect(calls).toBe(1));
    release();
    await first;
    await vi.waitFor(() => expect(calls).toBe(2));
    release();
    await final;
    expect(wip.lastSha).toBe("s2");
  });
});

describe("checkpoint failures", () => {
  it("are a checkpoint.failed warning, once per distinct failure until one succeeds again", async () => {
    let fail: string | undefined = "git add: boom";
    const { wip, warnings, notes } = checkpointer(async () => {
      if (fail) throw new Error(fail);
      return { sha: "s", changed: true };
    });
    await wip.take(false);
    await wip.take(false);
    expect(warnings).toEqual(["checkpoint.failed: checkpoint failed: git add: boom"]);
    expect(notes.filter((n) => n.startsWith("checkpoint failed"))).toHaveLength(2); // the job log has each
    fail = "git push: remote gone";
    await wip.take(false);
    fail = undefined;
    await wip.take(false);
    fail = "git push: remote gone";
    await wip.take(false);
    expect(warnings).toEqual([
      "checkpoint.failed: checkpoint failed: git add: boom",
      "checkpoint.failed: checkpoint failed: git push: remote gone",
      "checkpoint.failed: checkpoint failed: git push: remote gone",
    ]);
  });

  it("name nested repositories captured as files once, not on every tick", async () => {
    const { wip, notes } = checkpointer(async () => ({ sha: "s", changed: true, embedded: ["sub"] }));
    await wip.take(false);
    await wip.take(false);
    expect(notes.filter((n) => n.includes("nested repositories"))).toEqual([
      "nested repositories captured as files (their .git skipped): sub",
    ]);
  });

  it("name what a checkpoint left out once, to the job log and as a checkpoint.incomplete warning", async () => {
    const skipped = ["deep/x (nested more than 8 repositories deep)"];
    const { wip, notes, warnings } = checkpointer(async () => ({ sha: "s", changed: true, skipped }));
    await wip.take(false);
    await wip.take(false);
    expect(notes.filter((n) => n.startsWith("not in the checkpoint"))).toEqual([
      `not in the checkpoint: ${skipped[0]}`,
    ]);
    expect(warnings).toEqual([`checkpoint.incomplete: not in the checkpoint: ${skipped[0]}`]);
  });

  it("keep why the final checkpoint could not commit (finalError), cleared by a final one that does", async () => {
    let fail: string | undefined = "git add: boom";
    const { wip } = checkpointer(async () => {
      if (fail) throw new Error(fail);
      return { sha: "s", changed: true };
    });
    await wip.take(false);
    expect(wip.finalError).toBeUndefined(); // an interval's failure is retried by the next one
    await wip.take(true);
    expect(wip.finalError).toBe("git add: boom");
    fail = undefined;
    await wip.take(true);
    expect(wip.finalError).toBeUndefined();
  });
});
