// The sign-in form judges a token's shape as the CLI does (dashboard/token-shape.js mirrors src/cli/token-shape.ts,
// which the dashboard cannot import): for every sample — a whole product token, one cut off, one with more pasted
// after it, one with characters no token has, an enrollment code, an admin token of any shape — both find a fault or
// both find none, and say the same words of it (the enrollment code's aside, "to sign in with", is the form's own).
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { tokenShapeProblem as form } from "../../dashboard/token-shape.js";
import { tokenShapeProblem as cli } from "../../src/cli/token-shape.ts";

const SECRET = "A".repeat(43);
const SAMPLES = [
  `gf_demo_${SECRET}`,
  ` gf_demo_${SECRET}\n`,
  "gf_demo_abc",
  `gf_demo_${SECRET}xyz`,
  `gf_demo_${SECRET.slice(1)}!`,
  `gf_demo_${SECRET.slice(1)}\u200b`,
  `gfe_demo_${SECRET}`,
  "gf_",
  "gf_Demo_x",
  "e2e-admin-token",
  "an admin secret with spaces",
  "",
];

describe("the sign-in form's token shape, as the CLI's", () => {
  it("faults exactly the tokens the CLI faults, in its words", () => {
    for (const t of SAMPLES) {
      const theirs = cli(t);
      const ours = form(t);
      expect(ours === undefined, JSON.stringify(t)).toBe(theirs === undefined);
      if (theirs !== undefined)
        expect(ours).toBe(theirs.replace("not a token for the CLI", "not a token to sign in with"));
    }
  });

  it("faults a cut paste, a longer one and an enrollment code, never a whole token or an admin's", () => {
    expect(form(`gf_demo_${SECRET}`)).toBeUndefined();
    expect(form("e2e-admin-token")).toBeUndefined();
    expect(form("gf_demo_abc")).toMatch(/^gf_demo_… looks cut off: it has 3 character/);
    expect(form(`gf_demo_${SECRET}xyz`)).toMatch(/something was pasted with it$/);
    expect(form(`gfe_demo_${SECRET}`)).toMatch(/one-time enrollment code/);
    expect(form(`gf_demo_${SECRET}`.replace("A", "+"))).not.toContain("AAAA"); // no secret shown
  });
});
