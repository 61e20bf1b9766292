// The dashboard settings form's issue 9 and 11 fields (dashboard/settings-health.js) name real settings keys, and their
// input bounds are exactly the ones the server's SettingsPatchSchema accepts (min and max pass, one past fails),
// so the form neither offers a value the API refuses nor hides one it takes; a changed field becomes a one-level
// nested patch (dashboard/settings.js `patchFrom`).
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { patchFrom } from "../../dashboard/settings-fields.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { HEALTH_GROUPS, OBJECTIVE_CHOICES, OVERFLOW_CHOICES } from "../../dashboard/settings-health.js";
import { DEFAULT_SETTINGS, SettingsPatchSchema } from "../../src/core/settings.ts";
import { expectSchemaBounds, type NumberField } from "./settings-bounds.ts";

const fields: NumberField[] = (HEALTH_GROUPS as Array<{ fields: NumberField[] }>).flatMap((g) => g.fields);

describe("settings form: breakers, error budget, health", () => {
  it("covers every key of breaker, errorBudget and health, and routing's number (its objective is a select)", () => {
    const keys = (["breaker", "errorBudget", "health"] as const).flatMap((k) =>
      Object.keys(DEFAULT_SETTINGS[k]).map((leaf) => `${k}.${leaf}`),
    );
    expect(fields.map((f) => f.path).sort()).toEqual([...keys, "routing.minSamples"].sort());
  });

  it("offers exactly the routing objectives the API takes", () => {
    const values = (OBJECTIVE_CHOICES as Array<{ value: string }>).map((c) => c.value);
    expect(values).toEqual(["success_per_usd", "success_per_minute"]);
    for (const objective of values)
      expect(SettingsPatchSchema.safeParse({ routing: { objective } }).success).toBe(true);
    expect(values).toContain(DEFAULT_SETTINGS.routing.objective);
  });

  it.each(fields.map((f) => [f.path, f] as const))("%s: min and max accepted, one past each refused", (_path, f) =>
    expectSchemaBounds(f));

  it("offers exactly the overflow values the API takes", () => {
    const values = (OVERFLOW_CHOICES as Array<{ value: string }>).map((c) => c.value);
    expect(values).toEqual(["route", "hold"]);
    for (const overflow of values) expect(SettingsPatchSchema.safeParse({ overflow }).success).toBe(true);
  });

  it("a changed breaker field and overflow become a nested patch of only what changed", () => {
    const values = new Map<string, unknown>([
      ["overflow", "hold"],
      ["breaker.coolDownSeconds", 30],
      ["breaker.failureThreshold", DEFAULT_SETTINGS.breaker.failureThreshold],
    ]);
    expect(patchFrom(DEFAULT_SETTINGS, values)).toEqual({ overflow: "hold", breaker: { coolDownSeconds: 30 } });
  });
});

describe("settings form: the stalled threshold's words", () => {
  // The coordinator says "nothing shipped" (core/health, the stalled alert): a job built and waiting in testing has
  // not finished, and the help said "nothing finished" — a newcomer read a job in testing as finished.
  it("says stalled as the coordinator does: nothing shipped, never finished", () => {
    const f = fields.find((x) => x.path === "health.expectedFinishIntervalMinutes") as NumberField & {
      label: string;
      help: string;
    };
    expect(f.help).toMatch(/no job shipped for twice this/);
    expect(`${f.label} ${f.help}`).not.toMatch(/finish/i);
  });
});
