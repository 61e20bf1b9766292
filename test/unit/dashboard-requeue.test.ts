// The dashboard does not offer Requeue below a cancelled composite: it reads the job's parent chain (one read per
// ancestor, as far up as the server lets jobs nest) and names the nearest cancelled one, as the server's rule does —
// a failed ancestor, live or dead-lettered ones, and a job with no parent name none, so Requeue stays offered there.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { cancelledAbove, MAX_ANCESTOR_READS } from "../../dashboard/actions.js";
import { MAX_NESTING_DEPTH } from "../../src/core/composite.ts";

type Row = { stage: string; parentId?: string };

/** A reader over `jobs`, counting its reads. */
function reader(jobs: Record<string, Row>) {
  const reads: string[] = [];
  const read = async (id: string) => {
    reads.push(id);
    const job = jobs[id];
    if (!job) throw new Error(`no job ${id}`);
    return job;
  };
  return { read, reads };
}

describe("cancelledAbove", () => {
  it("names the nearest cancelled ancestor, reading no further", async () => {
    const { read, reads } = reader({
      p: { stage: "failed", parentId: "g" },
      g: { stage: "cancelled", parentId: "r" },
      r: { stage: "cancelled" },
    });
    expect(await cancelledAbove(read, { parentId: "p" })).toBe("g");
    expect(reads).toEqual(["p", "g"]);
  });

  it("names none below failed, dead-lettered or live ancestors, nor for a job with no parent", async () => {
    const { read, reads } = reader({
      p: { stage: "failed", parentId: "g" },
      g: { stage: "dead_letter", parentId: "r" },
      r: { stage: "blocked" },
    });
    expect(await cancelledAbove(read, { parentId: "p" })).toBe("");
    expect(await cancelledAbove(read, {})).toBe("");
    expect(reads).toEqual(["p", "g", "r"]);
  });

  it("reads as far up as the server nests (MAX_NESTING_DEPTH): a cancelled ancestor at its bound is found", async () => {
    expect(MAX_ANCESTOR_READS).toBe(MAX_NESTING_DEPTH);
    const chain = (cancelledAt: number) => {
      const jobs: Record<string, Row> = {};
      for (let i = 0; i < MAX_NESTING_DEPTH + 8; i++)
        jobs[`a${i}`] = { stage: i === cancelledAt ? "cancelled" : "shipped", parentId: `a${i + 1}` };
      return reader(jobs);
    };
    // A job at the deepest level the server allows has MAX_NESTING_DEPTH ancestors, the last its top job.
    const top = chain(MAX_NESTING_DEPTH - 1);
    expect(await cancelledAbove(top.read, { parentId: "a0" })).toBe(`a${MAX_NESTING_DEPTH - 1}`);
    expect(top.reads).toHaveLength(MAX_NESTING_DEPTH);
    // Past it (a chain no server makes): the reads stop at the bound.
    const past = chain(MAX_NESTING_DEPTH);
    expect(await cancelledAbove(past.read, { parentId: "a0" })).toBe("");
    expect(past.reads).toHaveLength(MAX_NESTING_DEPTH);
  });
});
