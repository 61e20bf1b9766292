// The dashboard's settings page (dashboard/settings.js, its fields dashboard/settings-fields.js) offers every setting `PATCH …/settings` takes: its fields,
// with the preemption box and the overflow and objective selects, name exactly the leaves of the server's settings
// record but the two other endpoints write; one weight per router term, the same list the explain panel's tooltips
// read (dashboard/router-terms.js), equal to the server's weights schema; every number field's bounds are exactly
// the ones the schema accepts (min and max pass, one past fails).
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { ROUTER_TERMS, TERM_HELP } from "../../dashboard/router-terms.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { FIELDS } from "../../dashboard/settings-fields.js";
import { DEFAULT_WEIGHTS } from "../../src/core/router.ts";
import { DEFAULT_SETTINGS, SettingsPatchSchema, WeightsPatchSchema } from "../../src/core/settings.ts";
import { expectSchemaBounds, type NumberField } from "./settings-bounds.ts";

const fields = FIELDS as NumberField[];
/** Written by the serial-gate and budget endpoints, not by a settings PATCH (the schema refuses them). */
const ELSEWHERE = ["frozenSerialKeys", "budgetPaused"];
/** The controls that are not number inputs: a checkbox and two selects. */
const NOT_NUMBERS = ["preemption", "overflow", "routing.objective"];

/** Every leaf of the settings record as a dotted path (`retry.jitter`). */
const leaves = (o: Record<string, unknown>, prefix = ""): string[] =>
  Object.entries(o).flatMap(([k, v]) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? leaves(v as Record<string, unknown>, `${prefix}${k}.`)
      : [`${prefix}${k}`],
  );

describe("settings page: every setting the API takes", () => {
  it("has a control for each leaf of the settings record a PATCH may change", () => {
    const settable = leaves(DEFAULT_SETTINGS as unknown as Record<string, unknown>).filter(
      (p) => !ELSEWHERE.includes(p),
    );
    expect([...fields.map((f) => f.path), ...NOT_NUMBERS].sort()).toEqual(settable.sort());
    for (const key of ELSEWHERE) expect(SettingsPatchSchema.safeParse({ [key]: false }).success).toBe(false);
  });

  it("lists one weight per router term, in the server's order, with the track term's weight among them", () => {
    const terms = (ROUTER_TERMS as Array<{ term: string }>).map((t) => t.term);
    expect(terms).toEqual(Object.keys(WeightsPatchSchema.shape));
    expect(terms).toEqual(Object.keys(DEFAULT_WEIGHTS));
    expect(fields.filter((f) => f.path.startsWith("weights.")).map((f) => f.path)).toEqual(
      terms.map((t) => `weights.${t}`),
    );
    expect(Object.keys(TERM_HELP)).toEqual(terms);
  });

  it.each(fields.map((f) => [f.path, f] as const))("%s: min and max accepted, one past each refused", (_path, f) =>
    expectSchemaBounds(f));
});
