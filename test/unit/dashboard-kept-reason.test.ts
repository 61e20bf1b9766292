// The job page's "Why is it waiting?" panel after an answer that carries no reason (dashboard/waiting-shown.js
// `reasonShown`): an action's or a review's answer (POST …/actions/{action}, …/reviews) has no `waitingReason`, and
// drawn as is it blanked the panel until the next read of the job (~250 ms later) drew it again — a flicker on every
// action. Such an answer keeps the reason shown (dimmed as stale once the job moved to another stage); a read that
// carries one replaces it, a read saying null clears it, and an answer whose own stage says the job waits for nothing
// (ended, or held by a factory: core/waiting `runsOrEnded`) clears it too.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { reasonShown } from "../../dashboard/waiting-shown.js";

const pending = { code: "review_pending", message: "1 of 2 approvals", since: 1, detail: {} };
const inReview = { reason: pending, stage: "review" };

describe("the waiting reason kept across answers without one", () => {
  it("keeps the reason shown when an answer carries none and the job is where it was read", () => {
    expect(reasonShown(inReview, { stage: "review" })).toEqual({ reason: pending, stage: "review", stale: false });
  });

  it("keeps it, marked stale, when the answer's job moved to another stage it waits in", () => {
    expect(reasonShown(inReview, { stage: "queued" })).toEqual({ reason: pending, stage: "review", stale: true });
    // Stale until a read: a second answer without a reason keeps it stale.
    const kept = reasonShown(inReview, { stage: "queued" });
    expect(reasonShown(kept, { stage: "queued" }).stale).toBe(true);
  });

  it("clears it when the answer's own stage says the job waits for nothing", () => {
    for (const stage of ["shipped", "cancelled", "dead_letter"])
      expect(reasonShown(inReview, { stage }).reason).toBeNull();
    expect(reasonShown(inReview, { stage: "building", holderFactoryId: "f1" }).reason).toBeNull();
    // Leased with no holder (its factory lost it) still waits: kept.
    expect(reasonShown(inReview, { stage: "assigned", holderFactoryId: null }).reason).toBe(pending);
  });

  it("takes a read's reason, and a read's null, over what is shown", () => {
    const other = { code: "testing", message: "awaiting ship", since: 2 };
    expect(reasonShown(inReview, { stage: "testing", waitingReason: other })).toEqual({
      reason: other,
      stage: "testing",
      stale: false,
    });
    expect(reasonShown(inReview, { stage: "review", waitingReason: null }).reason).toBeNull();
  });

  it("shows nothing before any reason was read", () => {
    expect(reasonShown(null, { stage: "review" }).reason).toBeNull();
  });
});
