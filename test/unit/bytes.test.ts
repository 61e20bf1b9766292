// Sizes in UTF-8 bytes, as Queues, RPC, WebSocket frames and HTTP bodies count them: utf8Bytes and jsonBytes agree
// with TextEncoder on any string (astral, lone surrogates included), fitsUtf8 decides limit − 1 / limit / limit + 1
// exactly, truncateUtf8 / splitUtf8 never cut inside a character (fast-check properties), and hasLoneSurrogate finds
// exactly the text a UTF-8 round trip would change.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  fitsUtf8,
  hasLoneSurrogate,
  jsonBytes,
  parsedHoldsLoneSurrogate,
  splitUtf8,
  truncateUtf8,
  utf8Bytes,
} from "../../src/core/bytes.ts";

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

describe("hasLoneSurrogate: text UTF-8 cannot store", () => {
  it("finds a lone high or low surrogate in a string, a key, or anywhere nested; a whole pair is fine", () => {
    expect(hasLoneSurrogate("ok 😀 漢")).toBe(false);
    expect(hasLoneSurrogate({ a: ["x", { b: "😀" }], "k😀": 1, n: null, t: true })).toBe(false);
    for (const bad of ["\ud800", "\udc00", "a\ud83d", "\ude00b", "\ud83d\ud83d\ude00x\udc00"]) {
      expect(hasLoneSurrogate(bad), JSON.stringify(bad)).toBe(true);
      expect(hasLoneSurrogate({ deep: [[{ v: bad }]] })).toBe(true);
      expect(hasLoneSurrogate({ [bad]: "key" })).toBe(true);
    }
  });

  it("agrees with a round trip through UTF-8 (what D1 and every encoder do), for random UTF-16 strings", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)) }),
        (s) => {
          const survives = new TextDecoder().decode(new TextEncoder().encode(s)) === s;
          expect(hasLoneSurrogate(s)).toBe(!survives);
        },
      ),
    );
  });

  it("walks a deeply nested value without overflowing the stack", () => {
    let v: unknown = "\ud800";
    for (let i = 0; i < 100_000; i++) v = [v];
    expect(hasLoneSurrogate(v)).toBe(true);
  });

  it("is looked for in parsed JSON only when its text has a \\u escape", () => {
    expect(parsedHoldsLoneSurrogate('{"a":"x"}', { a: "x" })).toBe(false);
    expect(parsedHoldsLoneSurrogate('{"a":"\\ud800"}', JSON.parse('{"a":"\\ud800"}'))).toBe(true);
    expect(parsedHoldsLoneSurrogate('{"a":"\\u00e9"}', { a: "é" })).toBe(false);
  });
});
