// The dashboard's routing page and the CLI say an experiment's arm in the same words (dashboard/arm-policy.js and
// cli/arm-policy-text, one sentence each for the same policy): for any arm policy of the API's shape — rules naming
// factories (with or without an engine) and weights — and for policies of another shape, as their JSON.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { armPolicyText as dashboardText } from "../../dashboard/arm-policy.js";
import { armPolicyText as cliText } from "../../src/cli/arm-policy-text.ts";

const rule = fc.record(
  {
    factoryId: fc.constantFrom("fac_a", "fac_b", "fac_x"),
    effect: fc.constantFrom("prefer", "avoid"),
    engine: fc.string(),
  },
  { requiredKeys: ["factoryId", "effect"] },
);
const weights = fc.dictionary(fc.constantFrom("load", "health", "track", "costFit"), fc.double({ noNaN: true }));
const policy = fc.oneof(
  fc.record({ rules: fc.array(rule, { maxLength: 4 }), weights }, { requiredKeys: [] }),
  fc.jsonValue(),
);
const NAMES: Record<string, string> = { fac_a: "host-a", fac_b: "host-b" };
const named = (id: string) => NAMES[id] ?? id;

describe("an experiment arm's policy in words", () => {
  it("reads as the CLI's: prefer host-a · weights load=3; the product's routing when empty", () => {
    const p = { rules: [{ factoryId: "fac_a", effect: "prefer" }], weights: { load: 3 } };
    expect(dashboardText(p, named)).toBe("prefer host-a · weights load=3");
    expect(dashboardText({})).toBe("the product's routing");
    expect(dashboardText({ rules: [{ factoryId: "fac_b", effect: "avoid", engine: "codex" }] }, named)).toBe(
      "avoid host-b for engine codex",
    );
  });

  it("agrees with the CLI for any policy", () => {
    fc.assert(
      fc.property(policy, (p) => {
        expect(dashboardText(p, named)).toBe(cliText(p, named));
      }),
    );
  });
});
