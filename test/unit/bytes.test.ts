// Sizes in UTF-8 bytes, as Queues, RPC, WebSocket frames and HTTP bodies count them: utf8Bytes and jsonBytes agree
// with TextEncoder on any string (astral, lone surrogates included), fitsUtf8 decides limit − 1 / limit / limit + 1
// exactly, and truncateUtf8 / splitUtf8 never cut inside a character (fast-check properties).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fitsUtf8, jsonBytes, splitUtf8, truncateUtf8, utf8Bytes } from "../../src/core/bytes.ts";

/** No lone surrogate (a paired one is one code point under the `u` flag). */
const wellFormedText = (s: string) => !/\p{Surrogate}/u.test(s);
const encoded = (s: string) => new TextEncoder().encode(s).byteLength;
/** Strings from every width of UTF-8 (1–4 bytes), plus lone surrogates: what hostile input looks like. */
const anyText = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: fc.constantFrom("a", "é", "漢", "\u{1f600}", "\ud800", "\udfff", "\u0000", "\n") }),
);
/** No lone surrogates: the pieces of a cut must be exactly what was given. */
const wellFormed = anyText.filter((s) => wellFormedText(s));

describe("utf8Bytes and jsonBytes", () => {
  it("count what TextEncoder writes, for any string", () => {
    fc.assert(fc.property(anyText, (s) => utf8Bytes(s) === encoded(s)));
  });
  it("count a JSON value's serialized bytes, escapes included", () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => jsonBytes(v) === encoded(JSON.stringify(v))));
    expect(jsonBytes(undefined)).toBe(0);
    expect(jsonBytes({ t: "漢" })).toBe(11); // {"t":"漢"} = 8 ASCII bytes + 3
  });
  it("differ from .length exactly where the issue's example does: 漢 is 1 unit and 3 bytes", () => {
    const md = `# t\n${"漢".repeat(80_000)}`;
    expect(md.length).toBe(80_004);
    expect(utf8Bytes(md)).toBe(240_004);
  });
});

describe("fitsUtf8", () => {
  it("agrees with the byte count on every side of the limit (limit − 1, limit, limit + 1)", () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: -1, max: 1 }), (s, d) => {
        const limit = utf8Bytes(s) + d;
        return fitsUtf8(s, limit) === d >= 0;
      }),
    );
  });
});

describe("truncateUtf8", () => {
  it("returns the longest prefix within the bytes that ends between characters", () => {
    fc.assert(
      fc.property(wellFormed, fc.nat({ max: 64 }), (s, max) => {
        const t = truncateUtf8(s, max);
        expect(s.startsWith(t)).toBe(true);
        expect(wellFormedText(t)).toBe(true);
        expect(utf8Bytes(t)).toBeLessThanOrEqual(max);
        // Longest: the next character would not have fitted.
        const next = String.fromCodePoint(s.codePointAt(t.length) ?? 0);
        if (t.length < s.length) expect(utf8Bytes(t) + utf8Bytes(next)).toBeGreaterThan(max);
      }),
    );
  });
});

describe("splitUtf8", () => {
  it("cuts into pieces within the bytes that join back to the input, never halving an emoji", () => {
    fc.assert(
      fc.property(wellFormed, fc.integer({ min: 4, max: 40 }), (s, max) => {
        const pieces = splitUtf8(s, max);
        expect(pieces.join("")).toBe(s);
        for (const p of pieces) {
          expect(wellFormedText(p)).toBe(true);
          expect(utf8Bytes(p)).toBeLessThanOrEqual(max);
        }
      }),
    );
  });
  it("refuses a budget that cannot hold one character", () => {
    expect(() => splitUtf8("x", 3)).toThrow(RangeError);
  });
});
