// The dashboard's "Why is it waiting?" panel (dashboard/waiting.js): a detail record with no name or id — a failed
// job's lastResult — reads by its outcome, never "?", and the panel leaves lastResult out because the job page shows
// it already as "Last result".
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { detailRows, valueText } from "../../dashboard/waiting.js";

const lastResult = { outcome: "budget_exceeded", retryable: false, message: "over budget" };

describe("dashboard waiting panel", () => {
  it("labels a record without name or id by its outcome, or by its fields alone", () => {
    expect(valueText("lastResult", lastResult)).toBe("budget_exceeded (retryable false, message over budget)");
    expect(valueText("x", { retryable: true })).toBe("retryable true");
    expect(valueText("factories", [{ id: "fac_1", name: "box-1", kind: "expired" }])).toBe("box-1 (kind expired)");
  });

  it("does not repeat the job page's Last result", () => {
    const reason = { code: "needs_operator", message: "failed", since: 0, detail: { lastResult, depId: "a" } };
    expect(detailRows(reason)).toEqual([["depId", "depId", "a"]]);
  });
});
