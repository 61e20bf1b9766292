// core/review: a review counts in the round it names (`round`, the job's queuedAt when it was given), not by its
// time — an approval written in the millisecond of the requeue that began the next round stays in its own round.
// Reviews from before rounds were recorded are placed by time, as they always were.
import { describe, expect, it } from "vitest";
import type { Review } from "../../src/core/model.ts";
import { counts, tallyReviews } from "../../src/core/review.ts";

const approval = (reviewer: string, at: number, round?: number): Review => ({
  reviewer,
  reviewerName: reviewer,
  verdict: "approve",
  at,
  ...(round === undefined ? {} : { round }),
});

describe("review rounds", () => {
  const round = { required: 2, since: 1_000 };

  it("an approval of an earlier round does not count, even written at the new round's first millisecond", () => {
    expect(counts(approval("ann", 1_000, 500), round)).toBe(false);
    expect(counts(approval("ann", 1_000, 1_000), round)).toBe(true);
    expect(counts(approval("ann", 2_000, 1_000), round)).toBe(true);
  });

  it("an approval recorded before rounds were counts from the round's start by time", () => {
    expect(counts(approval("ann", 999), round)).toBe(false);
    expect(counts(approval("ann", 1_000), round)).toBe(true);
  });

  it("the tally leaves the stale approval out and lets its reviewer count in the new round", () => {
    const tally = tallyReviews(
      [approval("ann", 1_000, 500), approval("bob", 1_200, 1_000), approval("ann", 1_300, 1_000)],
      round,
    );
    expect(tally).toMatchObject({ approvals: 2, met: true });
    expect(tally.approvers.map((r) => r.at)).toEqual([1_200, 1_300]);
  });
});
