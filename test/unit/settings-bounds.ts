/**
 * @module test/unit/settings-bounds
 * The check both dashboard settings-form tests (dashboard-settings-fields, dashboard-settings-health) make of each
 * number field: its input's min and max are exactly the bounds the server's SettingsPatchSchema accepts — min and max
 * pass, one past each fails — so the form neither offers a value the API refuses nor hides one it takes.
 */
import { expect } from "vitest";
import { SettingsPatchSchema } from "../../src/core/settings.ts";

/** A number field of the settings form: its dotted settings path (`retry.jitter`) and its input's min/max attributes. */
export type NumberField = { path: string; attrs: { min: string; max: string } };

/** The patch that sets `path` — a top-level key (`overflow`) or a one-level nested one (`retry.jitter`) — to `value`. */
export const patchOf = (path: string, value: unknown) => {
  const [head, leaf] = path.split(".") as [string, string | undefined];
  return leaf === undefined ? { [head]: value } : { [head]: { [leaf]: value } };
};

/** Asserts the schema takes `f` at its min and max and refuses it one below its min and one above its max. */
export function expectSchemaBounds(f: NumberField): void {
  const min = Number(f.attrs.min);
  const max = Number(f.attrs.max);
  expect(SettingsPatchSchema.safeParse(patchOf(f.path, min)).success).toBe(true);
  expect(SettingsPatchSchema.safeParse(patchOf(f.path, max)).success).toBe(true);
  expect(SettingsPatchSchema.safeParse(patchOf(f.path, min - 1)).success).toBe(false);
  expect(SettingsPatchSchema.safeParse(patchOf(f.path, max + 1)).success).toBe(false);
}
