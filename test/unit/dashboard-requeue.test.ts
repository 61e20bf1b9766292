// The dashboard does not offer Requeue below a cancelled composite: it reads the job's parent chain (one read per
// ancestor, bounded) and names the nearest cancelled one, as the server's rule does — a failed ancestor, live or
// dead-lettered ones, and a job with no parent name none, so Requeue stays offered there.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { cancelledAbove, MAX_ANCESTOR_READS } from "../../dashboard/actions.js";

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

  it("reads at most MAX_ANCESTOR_READS ancestors: deeper, the server's refusal says it", async () => {
    const chain: Record<string, Row> = {};
    for (let i = 0; i < 20; i++) chain[`a${i}`] = { stage: i === 19 ? "cancelled" : "blocked", parentId: `a${i + 1}` };
    const { read, reads } = reader(chain);
    expect(await cancelledAbove(read, { parentId: "a0" })).toBe("");
    expect(reads).toHaveLength(MAX_ANCESTOR_READS);
  });
});
