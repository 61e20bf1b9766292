// The local runtime's cron matcher: five UTC fields with steps, ranges and lists, 7 as Sunday, Vixie's day rule, and a refusal for anything it cannot read.
import { describe, expect, it } from "vitest";
import { cronMatcher } from "../../src/core/cron.ts";

const at = (iso: string) => new Date(`${iso}Z`);

describe("cronMatcher", () => {
  it("fires every minute for * * * * *", () => {
    const m = cronMatcher("* * * * *");
    expect(m(at("2026-11-23T14:00:00"))).toBe(true);
    expect(m(at("2026-11-23T14:37:00"))).toBe(true);
  });

  it("reads steps, ranges and lists, in UTC", () => {
    const every5 = cronMatcher("*/5 * * * *");
    expect([0, 5, 55].map((m) => every5(at(`2026-11-23T10:${String(m).padStart(2, "0")}:00`)))).toEqual([
      true,
      true,
      true,
    ]);
    expect(every5(at("2026-11-23T10:07:00"))).toBe(false);
    const office = cronMatcher("0,30 9-17/2 * * 1-5");
    expect(office(at("2026-11-23T09:30:00"))).toBe(true); // a Monday
    expect(office(at("2026-11-23T10:30:00"))).toBe(false); // 10 is not in 9-17/2
    expect(office(at("2026-11-22T09:30:00"))).toBe(false); // a Sunday
  });

  it("treats 7 as Sunday, and either restricted day field as enough (Vixie cron)", () => {
    expect(cronMatcher("0 0 * * 7")(at("2026-11-22T00:00:00"))).toBe(true);
    const either = cronMatcher("0 0 1 * 1");
    expect(either(at("2026-12-01T00:00:00"))).toBe(true); // the 1st, a Tuesday
    expect(either(at("2026-11-23T00:00:00"))).toBe(true); // a Monday, the 23rd
    expect(either(at("2026-11-24T00:00:00"))).toBe(false);
  });

  it("refuses what it cannot read rather than guessing", () => {
    for (const bad of ["* * * *", "60 * * * *", "*/0 * * * *", "5-1 * * * *", "@daily", "MON * * * *"])
      expect(() => cronMatcher(bad), bad).toThrow();
  });
});
