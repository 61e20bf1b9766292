// The local runtime's cron matcher: five UTC fields with steps, ranges and lists, weekdays as Cloudflare reads them (1-7 from Sunday, names), Vixie's day rule, and a refusal for anything it cannot read.
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
    const office = cronMatcher("0,30 9-17/2 * * 2-6");
    expect(office(at("2026-11-23T09:30:00"))).toBe(true); // a Monday
    expect(office(at("2026-11-23T10:30:00"))).toBe(false); // 10 is not in 9-17/2
    expect(office(at("2026-11-22T09:30:00"))).toBe(false); // a Sunday
  });

  it("reads weekdays as Cloudflare does: 1 is Sunday, 7 Saturday, and three-letter names in any case", () => {
    // Cloudflare's documentation: `0 17 * * 1` is "5PM on Sunday", `10 7 * * 2-6` "7:10AM on weekdays".
    const sunday = cronMatcher("0 17 * * 1");
    expect(sunday(at("2026-11-22T17:00:00"))).toBe(true); // a Sunday
    expect(sunday(at("2026-11-23T17:00:00"))).toBe(false); // a Monday
    const weekdays = cronMatcher("10 7 * * 2-6");
    const week = ["22", "23", "24", "25", "26", "27", "28"].map((d) => weekdays(at(`2026-11-${d}T07:10:00`)));
    expect(week).toEqual([false, true, true, true, true, true, false]); // Sunday 22nd … Saturday 28th
    expect(cronMatcher("0 0 * * 7")(at("2026-11-28T00:00:00"))).toBe(true); // a Saturday
    const named = cronMatcher("10 7 * * mon-FRI");
    expect(["22", "23", "27", "28"].map((d) => named(at(`2026-11-${d}T07:10:00`)))).toEqual([false, true, true, false]);
    const months = cronMatcher("0 0 1 jan,Jul *");
    expect(["01", "02", "07"].map((m) => months(at(`2026-${m}-01T00:00:00`)))).toEqual([true, false, true]);
  });

  it("takes either restricted day field as enough (Vixie cron)", () => {
    const either = cronMatcher("0 0 1 * 2");
    expect(either(at("2026-12-01T00:00:00"))).toBe(true); // the 1st, a Tuesday
    expect(either(at("2026-11-23T00:00:00"))).toBe(true); // a Monday, the 23rd
    expect(either(at("2026-11-24T00:00:00"))).toBe(false);
  });

  it("refuses what it cannot read rather than guessing", () => {
    for (const bad of [
      "* * * *",
      "60 * * * *",
      "*/0 * * * *",
      "5-1 * * * *",
      "@daily",
      "MON * * * *",
      "0 0 * * 0",
      "0 0 * * 8",
      "0 0 * * MONDAY",
      "0 0 * JANUARY *",
      "0 0 * * 6L",
      "0 0 L * *",
      "0 0 * * 2#1",
    ])
      expect(() => cronMatcher(bad), bad).toThrow();
  });
});
