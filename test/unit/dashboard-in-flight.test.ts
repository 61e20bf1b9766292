// The job page's action bar and review card keep every button greyed out while a request is out: the page re-renders
// the job on each feed event and queue change, and that re-render re-armed Cancel, Requeue, Approve and Reject
// mid-request (a second click sent the action twice); once answered, the stage alone decides again.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { actionDisabled } from "../../dashboard/actions.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { verdictDisabled } from "../../dashboard/review.js";

const ACTIONS = ["requeue", "cancel", "approve", "reject", "ship"];

describe("buttons while a request is out", () => {
  it("greys out every action in flight, whatever the stage offers", () => {
    const review = { stage: "review" };
    const idle = { busy: false, cancelledParent: "" };
    expect(ACTIONS.filter((a) => !actionDisabled(a, review, idle))).toEqual(["requeue", "cancel", "approve", "reject"]);
    expect(ACTIONS.filter((a) => !actionDisabled(a, review, { ...idle, busy: true }))).toEqual([]);
  });

  it("still greys out a requeue below a cancelled ancestor and an action the stage cannot take", () => {
    const failed = { stage: "failed", parentId: "p" };
    expect(actionDisabled("requeue", failed, { busy: false, cancelledParent: "p" })).toBe(true);
    expect(actionDisabled("requeue", failed, { busy: false, cancelledParent: "" })).toBe(false);
    expect(actionDisabled("ship", failed, { busy: false, cancelledParent: "" })).toBe(true);
  });

  it("greys out both verdicts in flight; idle, approve only in review and reject on built work", () => {
    expect(verdictDisabled("approve", "review", true)).toBe(true);
    expect(verdictDisabled("reject", "review", true)).toBe(true);
    expect(verdictDisabled("approve", "review", false)).toBe(false);
    expect(verdictDisabled("approve", "building", false)).toBe(true);
    expect(verdictDisabled("reject", "building", false)).toBe(false);
    expect(verdictDisabled("reject", "queued", false)).toBe(true);
  });
});
