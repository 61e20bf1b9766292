// How the Fleet page's grant block (dashboard/fleet-grants.js) reads what is typed and what is answered: a seat limit
// is taken only as the API takes it (a whole number from 1 to 64), and an approval's answer is said as it changed or
// not — nothing for an answer that is not a factory (the list, read again, then shows it).
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { grantAnswerText, parseSeatLimit } from "../../dashboard/fleet-grants.js";

describe("dashboard fleet grants", () => {
  it("takes a seat limit as the API does: a whole number from 1 to 64", () => {
    expect(["4", " 64 ", "1"].map(parseSeatLimit)).toEqual([
      { ok: true, seatLimit: 4 },
      { ok: true, seatLimit: 64 },
      { ok: true, seatLimit: 1 },
    ]);
    for (const bad of ["0", "65", "2.5", "", "1e1", "-1", "abc"]) expect(parseSeatLimit(bad).ok, bad).toBe(false);
  });

  it("says an approval's answer as it changed or not, and nothing for an answer that is not a factory", () => {
    const f = { capabilities: ["gpu", "os:linux"], seatLimit: 2 };
    expect(grantAnswerText({ ...f, changed: true }, "capabilities")).toBe(
      "Approved: routed on gpu, os:linux · seat limit 2.",
    );
    expect(grantAnswerText({ ...f, changed: false }, "seats")).toBe(
      "Nothing changed: the seat limit was already that (routed on gpu, os:linux · seat limit 2).",
    );
    expect(grantAnswerText({ capabilities: [], changed: true }, "seats")).toBe("Seat limit set: routed on none.");
    expect(grantAnswerText("<html>", "seats")).toBe("");
    expect(grantAnswerText({ changed: true }, "seats")).toBe("");
  });
});
