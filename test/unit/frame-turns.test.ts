// Frames applied in turns (coordinator/factories/frame-turns), leading and trailing: a frame that finds no turn open
// runs at once; frames arriving while one is open run together, in arrival order, in ONE call of the turn wrapper
// (where the coordinator holds its dispatch pass) when the window's timer fires; a frame that fails — rejecting or
// throwing before its first await — fails alone, and the others of its turn still run.
import { describe, expect, it } from "vitest";
import { FrameTurns } from "../../src/durable-objects/coordinator/factories/frame-turns.ts";

/** A turn wrapper that records which frames ran inside each of its calls. */
function recorder() {
  const turns: string[][] = [];
  let current: string[] | null = null;
  const wrap = (frames: () => void) => {
    current = [];
    frames();
    turns.push(current);
    current = null;
  };
  const frame =
    (name: string, outcome: "ok" | "reject" | "throw" = "ok") =>
    async () => {
      if (outcome === "throw") throw new Error(name); // an async function: this rejects its promise
      current?.push(name);
      if (outcome === "reject") throw new Error(name);
    };
  return { turns, wrap, frame };
}

describe("FrameTurns", () => {
  it("runs a lone frame at once, and the frames behind it together in the next turn, in order", async () => {
    const r = recorder();
    const turns = new FrameTurns(r.wrap);
    const first = turns.defer(r.frame("a"));
    expect(r.turns).toEqual([["a"]]); // applied synchronously: a lone frame waits for nothing
    const rest = ["b", "c", "d"].map((n) => turns.defer(r.frame(n)));
    expect(r.turns).toEqual([["a"]]); // queued behind the open turn
    await Promise.all([first, ...rest]);
    expect(r.turns).toEqual([["a"], ["b", "c", "d"]]);
    // The window closed with that turn: the next lone frame runs at once again.
    void turns.defer(r.frame("e"));
    expect(r.turns.at(-1)).toEqual(["e"]);
  });

  it("fails a refused frame alone: the rest of its turn still runs and resolves", async () => {
    const r = recorder();
    const turns = new FrameTurns(r.wrap);
    const lead = turns.defer(r.frame("lead"));
    const bad = turns.defer(r.frame("bad", "reject"));
    const thrown = turns.defer(() => {
      throw new Error("sync"); // not even a promise: caught, this frame rejects
    });
    const good = turns.defer(r.frame("good"));
    await lead;
    await expect(bad).rejects.toThrow("bad");
    await expect(thrown).rejects.toThrow("sync");
    await expect(good).resolves.toBeUndefined();
    expect(r.turns).toEqual([["lead"], ["bad", "good"]]);
  });
  it("says when frames queued behind a turn (the thread is loaded), never for a lone frame", async () => {
    const r = recorder();
    let queued = 0;
    const turns = new FrameTurns(r.wrap, () => queued++);
    await turns.defer(r.frame("alone"));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(queued).toBe(0);
    await Promise.all(["a", "b", "c"].map((n) => turns.defer(r.frame(n))));
    expect(queued).toBe(1); // b and c waited behind a's turn: one loaded turn
  });
});
