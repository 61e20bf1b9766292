// The OpenAPI document's settings operations say what the code does: GET's description names every key the record has
// (a hand-written list stopped at budgetPaused, five keys short of the "every key" it claimed), and PATCH's names
// the keys it refuses (frozenSerialKeys, budgetPaused), the merged record's two consistency rules (retry and breaker
// caps at least their base, core/settings `applySettingsPatch`) and that there is no version precondition.
import { describe, expect, it } from "vitest";
import { applySettingsPatch, DEFAULT_SETTINGS, SettingsPatchSchema } from "../../src/core/settings.ts";
import { SETTINGS_OPS } from "../../src/worker/openapi-ops-policy.ts";

/** The operation's whole text: its one-line summary and the description that says the rest. */
const summaryOf = (method: string) => {
  const op = SETTINGS_OPS.find((o) => o.method === method);
  return `${op?.summary ?? ""} ${op?.description ?? ""}`;
};

describe("the settings operations in the OpenAPI document", () => {
  it("GET names every key of the settings record", () => {
    for (const key of Object.keys(DEFAULT_SETTINGS)) expect(summaryOf("get"), key).toContain(key);
  });

  it("PATCH names the keys it refuses and the merged record's rules, which the code enforces", () => {
    const patch = summaryOf("patch");
    for (const key of ["frozenSerialKeys", "budgetPaused"]) {
      expect(patch).toContain(key);
      expect(SettingsPatchSchema.safeParse({ [key]: DEFAULT_SETTINGS[key as "budgetPaused"] }).success).toBe(false);
    }
    expect(patch).toContain("retry.maxSeconds below retry.baseSeconds");
    expect(() => applySettingsPatch({ ...DEFAULT_SETTINGS }, { retry: { maxSeconds: 1 } })).toThrow(RangeError);
    expect(patch).toContain("breaker.maxCoolDownSeconds below breaker.coolDownSeconds");
    expect(() => applySettingsPatch({ ...DEFAULT_SETTINGS }, { breaker: { maxCoolDownSeconds: 1 } })).toThrow(
      RangeError,
    );
    expect(patch).toContain("No version precondition");
  });
});
