// The proof dispatch's frame bound rests on (dispatch/frame-bound `fitsByStoredText`): any JSON text of n UTF-16 units, parsed and serialized again, is at most 6n bytes of UTF-8 — over arbitrary JSON values written with arbitrary whitespace and escapes, and the worst tokens by hand (a control character, a lone surrogate, 1e20); and the bound never says "fits" for a text whose job would not.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8Bytes } from "../../src/core/bytes.ts";
import {
  fitsByStoredText,
  RESERIALIZED_BYTES_PER_UNIT,
} from "../../src/durable-objects/coordinator/dispatch/frame-bound.ts";
import { MAX_ASSIGNED_JOB_BYTES } from "../../src/shared/protocol.ts";

const reserialized = (text: string) => utf8Bytes(JSON.stringify(JSON.parse(text)));

/**
 * A JSON text of `v` as any writer might spell it: spaces between tokens, or every character escaped as \uXXXX and
 * every number in its shortest exponent form (`1e20`, where serializing writes 21 digits).
 */
function spelled(v: unknown, escapeAll: boolean, space: string): string {
  if (typeof v === "string") {
    if (!escapeAll) return JSON.stringify(v);
    return `"${[...Array(v.length).keys()].map((i) => `\\u${v.charCodeAt(i).toString(16).padStart(4, "0")}`).join("")}"`;
  }
  if (Array.isArray(v))
    return `[${space}${v.map((x) => spelled(x, escapeAll, space)).join(`${space},${space}`)}${space}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, x]) => `${spelled(k, escapeAll, space)}${space}:${space}${spelled(x, escapeAll, space)}`)
      .join(",")}}`;
  if (typeof v === "number" && escapeAll && Number.isFinite(v)) return v.toExponential().replace("e+", "e");
  return JSON.stringify(v);
}

describe("a JSON text serialized again is at most 6 bytes a UTF-16 unit", () => {
  it("holds over arbitrary JSON values, however they are spelled", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), fc.constantFrom("", " ", "\n\t "), (v, escapeAll, space) => {
        const text = spelled(v, escapeAll, space);
        expect(reserialized(text)).toBeLessThanOrEqual(RESERIALIZED_BYTES_PER_UNIT * text.length);
      }),
      { numRuns: 2000 },
    );
  });

  it("holds for the tokens that grow most", () => {
    for (const text of [
      '"\u0001"', // a raw control character is not JSON; escaped, it is 6 units for 6 bytes
      '"\\u0001"',
      '"\\udc00"', // a lone surrogate stays escaped
      '"\ud83d\ude00"', // a pair: 2 units, 4 bytes
      '"\uffff"', // 1 unit, 3 bytes
      "1e20", // 4 units, 21 digits
      "-1e20",
      "9e20",
      "1e21",
      "1e-6",
      "1e400", // Infinity: null
      "[1e20,1e20,1e20]",
    ]) {
      let ok: boolean;
      try {
        JSON.parse(text);
        ok = true;
      } catch {
        ok = false;
      }
      if (!ok) continue;
      expect(reserialized(text), text).toBeLessThanOrEqual(RESERIALIZED_BYTES_PER_UNIT * text.length);
    }
    expect(reserialized("1e20")).toBe(21);
  });

  it("says 'fits' only up to a sixth of the bound, and nothing for an unknown length", () => {
    const most = Math.floor(MAX_ASSIGNED_JOB_BYTES / RESERIALIZED_BYTES_PER_UNIT);
    expect(fitsByStoredText(most)).toBe(true);
    expect(fitsByStoredText(most + 1)).toBe(false);
    expect(fitsByStoredText(undefined)).toBe(false);
    expect(fitsByStoredText(0)).toBe(true);
  });
});
