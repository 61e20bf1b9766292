// The dashboard's "Why is it waiting?" panel (dashboard/waiting.js): a detail record with no name or id — a failed
// job's lastResult — reads by its outcome, never "?", and the panel leaves lastResult out because the job page shows
// it already as "Last result"; a job only a capability awaiting approval could run is headed so, with the factory
// and what to approve on it. Every code of src/core/waiting-reason.ts has a heading of its own words, so a code added
// there without one fails here rather than showing the bare code.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { detailRows, reasonHeading, valueText, waitingHeading } from "../../dashboard/waiting.js";
import { WAITING_CODES } from "../../src/core/waiting-reason.ts";

const lastResult = { outcome: "budget_exceeded", retryable: false, message: "over budget" };

describe("dashboard waiting panel", () => {
  it("heads every waiting code in words, never the bare code", () => {
    const bare = WAITING_CODES.filter((code) => !/^[A-Z][a-z ]+[a-z]$/.test(waitingHeading(code)));
    expect(bare).toEqual([]);
  });

  it("labels a record without name or id by its outcome, or by its fields alone", () => {
    expect(valueText("lastResult", lastResult)).toBe("budget_exceeded (retryable false, message over budget)");
    expect(valueText("x", { retryable: true })).toBe("retryable true");
    expect(valueText("factories", [{ id: "fac_1", name: "box-1", kind: "expired" }])).toBe("box-1 (kind expired)");
  });

  it("heads a reason awaiting a capability's approval so, and names the factory and the capability", () => {
    const pendingApproval = [{ id: "fac_7", name: "box-7", capabilities: ["engine:triv"] }];
    const reason = {
      code: "no_capable_factory",
      message: "waiting for an operator to approve engine:triv on box-7 — run `gigafactory factory approve fac_7`",
      since: 0,
      detail: { requires: ["engine:triv"], missing: ["engine:triv"], pendingApproval },
    };
    expect(reasonHeading(reason)).toBe("Capability awaiting approval");
    expect(detailRows(reason).at(-1)).toEqual([
      "pendingApproval",
      "Awaiting approval on",
      "box-7 (capabilities engine:triv)",
    ]);
    expect(reasonHeading({ ...reason, detail: { missing: ["gpu"] } })).toBe("No capable factory");
  });

  it("does not repeat the job page's Last result", () => {
    const reason = { code: "needs_operator", message: "failed", since: 0, detail: { lastResult, depId: "a" } };
    expect(detailRows(reason)).toEqual([["depId", "depId", "a"]]);
  });
});
