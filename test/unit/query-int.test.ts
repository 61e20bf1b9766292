// Integers in query strings (shared/api `queryInt`): decimal digits only, then the field's own bounds. Before it,
// `z.coerce.number()` read "" as 0, "0x10" as 16, "1e3" as 1000 and " 5" as 5, so a typo in `?after=` or
// `?leaseEpoch=` silently became another value instead of a 400 (found by a hostile-input reviewer).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ArtifactUploadQuery, queryInt } from "../../src/shared/api.ts";

const limit = queryInt(z.number().min(1).max(500)).default(50);

describe("queryInt", () => {
  it("reads decimal digits, and applies the field's bounds and default", () => {
    expect(limit.parse("42")).toBe(42);
    expect(limit.parse("007")).toBe(7);
    expect(limit.parse(undefined)).toBe(50);
    expect(limit.safeParse("0").success).toBe(false);
    expect(limit.safeParse("501").success).toBe(false);
  });

  it.each([
    "",
    " 5",
    "5 ",
    "-1",
    "+1",
    "1e3",
    "0x10",
    "1.5",
    "Infinity",
    "NaN",
    "٣",
    "12345678901234567",
  ])("refuses %j", (text) => {
    expect(limit.safeParse(text).success).toBe(false);
    expect(ArtifactUploadQuery.safeParse({ name: "log.txt", leaseEpoch: text }).success).toBe(false);
  });

  it("accepts exactly the non-negative integers it can write back the same way (property)", () => {
    const any = queryInt(z.number());
    fc.assert(
      fc.property(fc.string(), (text) => {
        const r = any.safeParse(text);
        expect(r.success).toBe(/^\d{1,16}$/.test(text));
        if (r.success) expect(r.data).toBe(Number.parseInt(text, 10));
      }),
    );
  });
});
