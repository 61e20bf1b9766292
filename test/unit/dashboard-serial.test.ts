// The jobs board's "frozen" badge (dashboard/serial.js `heldByFreeze`) marks only the jobs a serial-key freeze holds
// back — queued, or blocked on dependencies, with a frozen key — never one running, in review or testing, ended
// (a shipped composite with a frozen key was shown red), nor a composite parent waiting on its children.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { heldByFreeze } from "../../dashboard/serial.js";
import { STAGES } from "../../src/core/model.ts";

const FROZEN = new Set(["deploy/prod"]);
const job = (stage: string, extra: Record<string, unknown> = {}) => ({ stage, serialKey: "deploy/prod", ...extra });

describe("the frozen badge on the board", () => {
  it("marks a queued job, and a blocked one waiting for its dependencies, whose key is frozen", () => {
    expect(heldByFreeze(job("queued", { waitingReason: { code: "serial_key_frozen" } }), FROZEN)).toBe(true);
    expect(heldByFreeze(job("blocked", { waitingReason: { code: "deps_unmet" } }), FROZEN)).toBe(true);
  });

  it.each(STAGES.filter((s) => s !== "queued" && s !== "blocked"))("never a %s job: past dispatch", (stage) => {
    expect(heldByFreeze(job(stage), FROZEN)).toBe(false);
  });

  it("never a composite parent waiting on its children: it is not dispatched itself", () => {
    expect(heldByFreeze(job("blocked", { waitingReason: { code: "children_running" } }), FROZEN)).toBe(false);
  });

  it("never a job whose key is not frozen, or that has none", () => {
    expect(heldByFreeze(job("queued", { serialKey: "deploy/staging" }), FROZEN)).toBe(false);
    expect(heldByFreeze({ stage: "queued" }, FROZEN)).toBe(false);
  });
});
