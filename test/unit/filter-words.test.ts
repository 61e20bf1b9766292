// The router's refusal codes in words (core/filter-words), as `explain ID` prints a rejected factory and the
// dashboard's explain panel draws it (dashboard/filter-words.js, the same words for every code): a lost link says
// how long ago ("link lost 20s ago") from the answer's `disconnectedAt`, or just "link lost" when no end was seen;
// a capability, a breaker's engine, an exclusion's kind are named; the codes stay beside the words, in brackets, for
// scripts; an unknown code (a newer coordinator's) or a prototype key is said as it is, never Object's.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { filterWords as dashboardWords } from "../../dashboard/filter-words.js";
import { rejectedLine } from "../../src/cli/commands/explain.ts";
import { filterWords } from "../../src/core/filter-words.ts";
import type { Candidate } from "../../src/core/router.ts";

const CODES = [
  "missing_capability:cuda",
  "factory_disconnected",
  "factory_down",
  "factory_left",
  "factory_draining",
  "factory_quarantined",
  "factory_revoked",
  "no_free_seat",
  "serial_gate_closed",
  "budget_paused",
  "breaker_open:claude",
  "overflow_hold:*",
  "excluded:expired",
  "excluded:released",
  "excluded:rejected",
  "excluded:other",
  "some_future_code",
  "constructor",
  "__proto__",
];

describe("refusal codes in words", () => {
  it("says each code in words, the dashboard the same", () => {
    for (const code of CODES) {
      const words = filterWords(code);
      expect(typeof words).toBe("string");
      expect(dashboardWords(code)).toBe(words);
      if (!["some_future_code", "constructor", "__proto__"].includes(code)) expect(words).not.toBe(code);
      expect(dashboardWords(code, "20 s ago")).toBe(filterWords(code, "20 s ago"));
    }
    expect(filterWords("missing_capability:cuda")).toBe("lacks cuda");
    expect(filterWords("excluded:expired")).toBe("kept from this job: its lease expired");
    expect(filterWords("constructor")).toBe("constructor");
  });

  it("a lost link says how long ago, or just that it was lost", () => {
    expect(filterWords("factory_disconnected", "20s ago")).toBe("link lost 20s ago (its heartbeats still say up)");
    expect(filterWords("factory_disconnected")).toBe("link lost (its heartbeats still say up)");
  });

  it("explain's line: words first, codes in brackets; a lost link timed from the explanation's at", () => {
    const at = 1_700_000_000_000;
    const c = {
      factoryId: "fac_1",
      factoryName: "box",
      reasons: ["factory_disconnected", "no_free_seat"],
      disconnectedAt: at - 20_000,
    } as Candidate & { disconnectedAt: number };
    expect(rejectedLine(c, at, false)).toBe(
      "  box (fac_1): link lost 20s ago (its heartbeats still say up); every seat busy  [factory_disconnected, no_free_seat]",
    );
    expect(rejectedLine({ ...c, disconnectedAt: null } as never, at, false)).toContain(": link lost (its heartbeats");
  });
});
