// A provider's ABSOLUTE reset time becomes the run's retry-after (agent/retry-after, through the UsageMeter's injected
// clock): Codex's "try again at 3:28 PM" (seconds, AM/PM, 24 h, a dated one) on the host's local clock, a time past
// today as tomorrow's, Claude's "usage limit reached|<epoch s>" and a zoned ISO time exactly (the UTC cases, the same
// in any host zone); every wait is clamped to 1 … 86 400 s; a dated time already past and times that are not times
// (25:00, Feb 30th) fall back to 0, the breaker's base cool-down; and for any text at any `now` the result is a finite
// integer within the protocol's bounds.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEngineLine } from "../../src/agent/engine-formats.ts";
import { UsageMeter } from "../../src/agent/insights.ts";
import { MAX_RETRY_AFTER_S, retryAfterText } from "../../src/agent/retry-after.ts";

/** Noon on Dec 4th 2026 on the host's clock: no zone changes to or from DST on Dec 4th or 5th. */
const NOON = new Date(2026, 11, 4, 12, 0, 0).getTime();
const codexFailed = (message: string) => JSON.stringify({ type: "turn.failed", error: { message } });
const claudeFailed = (result: string) => JSON.stringify({ type: "result", subtype: "success", is_error: true, result });
const USAGE = "You've hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), or try again at";

describe("a wall-clock reset time, on the host's clock", () => {
  it("reads Codex's own wording, today's and a later day's, through the meter's clock", () => {
    const meter = new UsageMeter({}, undefined, () => NOON);
    meter.line(codexFailed(`${USAGE} 3:28 PM.`));
    expect(meter.rateLimitedFor).toBe(3 * 3600 + 28 * 60);
    meter.line(codexFailed(`${USAGE} Dec 5th, 2026 9:00 AM.`));
    expect(meter.rateLimitedFor).toBe(21 * 3600);
  });

  it("reads seconds, AM/PM in any spelling, a 24-hour clock and dates", () => {
    const at = (t: string) => retryAfterText(`Try again at ${t}.`, NOON);
    expect(at("3:28:15 PM")).toBe(12_495);
    expect(at("3:28 pm")).toBe(12_480);
    expect(at("15:28")).toBe(12_480);
    expect(at("12:30 PM")).toBe(1800);
    expect(at("2026-12-05 09:00")).toBe(75_600);
    expect(at("December 5 9:00 AM")).toBe(75_600);
    expect(retryAfterText("5-hour limit reached ∙ resets 3pm", NOON)).toBe(3 * 3600);
    expect(retryAfterText("Your limit will reset at 1 p.m.", NOON)).toBe(3600);
  });

  it("takes a time already past today as tomorrow's, and clamps a later one to a day", () => {
    expect(retryAfterText("try again at 11:30 AM", NOON)).toBe(23.5 * 3600);
    expect(retryAfterText("try again at 12:00 PM", NOON)).toBe(MAX_RETRY_AFTER_S); // now exactly: tomorrow's
    expect(retryAfterText("try again at 12:00 AM", NOON)).toBe(12 * 3600); // midnight
    expect(retryAfterText("try again at Dec 6th, 2026 3:28 PM", NOON)).toBe(MAX_RETRY_AFTER_S);
    // No year: the nearest one, so a "Jan 1st" read on New Year's Eve is next year's.
    const eve = new Date(2026, 11, 31, 23, 0, 0).getTime();
    expect(retryAfterText("try again at Jan 1st 12:30 AM", eve)).toBe(5400);
  });

  it("falls back (0: the breaker's base cool-down) on a dated time already past, a non-time, or no clock", () => {
    for (const t of ["Dec 3rd, 2026 3:28 PM", "25:00", "13:28 PM", "3:61 PM", "Feb 30th, 2026 3:28 PM", "3", "later"]) {
      expect(retryAfterText(`try again at ${t}.`, NOON)).toBeUndefined();
      expect(parseEngineLine(codexFailed(`${USAGE} ${t}.`), NOON)?.rateLimitedFor).toBe(0);
    }
    expect(retryAfterText(`${USAGE} 3:28 PM.`)).toBeUndefined(); // no clock given: only a relative wait is read
    expect(retryAfterText(`${USAGE} 3:28 PM.`, Number.NaN)).toBeUndefined();
  });

  it("still reads a relative wait first, as before", () => {
    expect(retryAfterText("try again in 3 days 6 hours", NOON)).toBe(MAX_RETRY_AFTER_S);
    expect(retryAfterText("please try again in 20s", NOON)).toBe(20);
  });

  it("reads only the wait the phrase names, not a number and letter after it (a request id, a limit)", () => {
    // Read as 20 s + 3 days before: the breaker stayed open a day for a 20 s throttle.
    expect(retryAfterText("Please try again in 20s. (request id: req_3d9f)")).toBe(20);
    expect(retryAfterText("Please try again in 6ms. Limit 5m tokens per day")).toBe(1);
    expect(retryAfterText("try again in 2 hours, 5 minutes and 10s; see 1h docs")).toBe(7510);
    expect(retryAfterText("try again in 1m30s")).toBe(90);
  });
});

describe("an epoch or zoned reset time (UTC: the same in any host zone)", () => {
  const now = Date.UTC(2026, 11, 4, 12, 0, 0);

  it("reads Claude's 'usage limit reached|<epoch s>' exactly, through the meter's clock", () => {
    const meter = new UsageMeter({}, undefined, () => now);
    meter.line(claudeFailed(`Claude AI usage limit reached|${now / 1000 + 7200}`));
    expect(meter.rateLimitedFor).toBe(7200);
    expect(parseEngineLine(claudeFailed(`Claude AI usage limit reached|${now + 90_500}`), now)?.rateLimitedFor).toBe(
      91,
    );
    expect(
      parseEngineLine(claudeFailed(`Claude AI usage limit reached|${now / 1000 + 9e5}`), now)?.rateLimitedFor,
    ).toBe(MAX_RETRY_AFTER_S);
    // Already past (a stale message): the base cool-down, never a negative wait.
    expect(parseEngineLine(claudeFailed(`Claude AI usage limit reached|${now / 1000 - 60}`), now)?.rateLimitedFor).toBe(
      0,
    );
  });

  it("reads an ISO time in the zone it names, not the host's", () => {
    expect(retryAfterText("try again at 2026-12-05T09:00:00Z.", now)).toBe(75_600);
    expect(retryAfterText("try again at 2026-12-04T13:30:00+01:00", now)).toBe(1800);
  });
});

describe("any text at any time", () => {
  it("gives a finite integer within 0 … 86 400 s, or nothing", () => {
    const piece = fc.oneof(
      fc.constantFrom(
        "try again at ",
        "resets ",
        "limit reached|",
        "PM",
        "AM",
        ":",
        " ",
        "Dec ",
        "th, ",
        "-",
        "T",
        "Z",
      ),
      fc.integer({ min: 0, max: 99_999_999_999_999 }).map(String),
      fc.string({ maxLength: 6 }),
    );
    const text = fc.array(piece, { maxLength: 12 }).map((p) => p.join(""));
    const now = fc.oneof(fc.integer({ min: 0, max: 8.64e15 }), fc.constantFrom(NOON, Number.NaN, -1));
    fc.assert(
      fc.property(text, now, (t, n) => {
        for (const s of [retryAfterText(t, n), parseEngineLine(codexFailed(`usage limit ${t}`), n)?.rateLimitedFor]) {
          if (s === undefined) continue;
          expect(Number.isInteger(s)).toBe(true);
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(MAX_RETRY_AFTER_S);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
