// worker/artifact-range, the pure reading of `Range` and `If-Range` (RFC 9110 §13.1.5, §14) an artifact download
// answers by: each single-range form read to its span or suffix; several ranges read as `several` (answered whole);
// anything malformed — another unit, `last < first` however many digits, non-ASCII digits, a header over 1 KiB — read
// as `none` (ignored, never refused); and the plan: 206 bytes cut to the end, 416 for a range selecting no byte (an
// empty artifact included), the whole artifact when If-Range is anything but this ETag, exactly.
import { describe, expect, it } from "vitest";
import { contentRange, IfRangeHeader, planRange, RangeHeader, readRange } from "../../src/worker/artifact-range.ts";

describe("readRange", () => {
  it("reads each single-range form", () => {
    expect(readRange("bytes=0-9")).toEqual({ kind: "span", first: 0, last: 9 });
    expect(readRange("bytes=5-")).toEqual({ kind: "span", first: 5 });
    expect(readRange("bytes=-3")).toEqual({ kind: "suffix", length: 3 });
    expect(readRange("BYTES=007-8, ,")).toEqual({ kind: "span", first: 7, last: 8 });
  });

  it("reads several ranges as several, and anything malformed as none", () => {
    expect(readRange("bytes=0-1,3-4")).toEqual({ kind: "several" });
    for (const bad of [
      "",
      "bytes",
      "bytes=",
      "bytes=,",
      "items=0-1",
      "bytes=2-1",
      "bytes=-",
      "bytes=1-2-3",
      "bytes=0x1-2",
    ])
      expect(readRange(bad), bad).toEqual({ kind: "none" });
    // Compared as integers, not as doubles that round both to the same value.
    expect(readRange("bytes=9007199254740993-9007199254740992")).toEqual({ kind: "none" });
    expect(readRange("bytes=١-٢")).toEqual({ kind: "none" });
    expect(readRange(`bytes=0-1${" ".repeat(1100)}`)).toEqual({ kind: "none" });
    // The header's schema never refuses: a malformed Range is ignored, not a 400.
    expect(RangeHeader.safeParse("bytes=oops")).toEqual({ success: true, data: { kind: "none" } });
    expect(IfRangeHeader.parse(' "abc" ')).toBe('"abc"');
  });
});

describe("planRange", () => {
  const E = '"e"';
  it("cuts a span to the end, reads a suffix from it, and refuses one selecting no byte", () => {
    expect(planRange(10, E, readRange("bytes=2-4"), undefined)).toEqual({ kind: "part", offset: 2, length: 3 });
    expect(planRange(10, E, readRange("bytes=8-100"), undefined)).toEqual({ kind: "part", offset: 8, length: 2 });
    expect(planRange(10, E, readRange("bytes=0-"), undefined)).toEqual({ kind: "part", offset: 0, length: 10 });
    expect(planRange(10, E, readRange("bytes=-3"), undefined)).toEqual({ kind: "part", offset: 7, length: 3 });
    expect(planRange(10, E, readRange("bytes=-30"), undefined)).toEqual({ kind: "part", offset: 0, length: 10 });
    for (const r of ["bytes=10-", "bytes=99999999999999999999-", "bytes=-0"])
      expect(planRange(10, E, readRange(r), undefined), r).toEqual({ kind: "unsatisfiable" });
    for (const r of ["bytes=0-", "bytes=-1"])
      expect(planRange(0, E, readRange(r), undefined), r).toEqual({ kind: "unsatisfiable" });
  });

  it("serves the whole artifact for no range, several, a malformed one, or an If-Range not this ETag exactly", () => {
    for (const r of [undefined, readRange("bytes=0-1,2-3"), readRange("junk")])
      expect(planRange(10, E, r, undefined)).toEqual({ kind: "whole" });
    for (const ifRange of ['"other"', 'W/"e"', "e", "Sat, 05 Dec 2026 09:00:00 GMT"])
      expect(planRange(10, E, readRange("bytes=20-"), ifRange), ifRange).toEqual({ kind: "whole" });
    expect(planRange(10, E, readRange("bytes=2-"), E)).toEqual({ kind: "part", offset: 2, length: 8 });
  });

  it("writes Content-Range for a part and for a 416", () => {
    expect(contentRange({ kind: "part", offset: 2, length: 3 }, 10)).toBe("bytes 2-4/10");
    expect(contentRange({ kind: "unsatisfiable" }, 10)).toBe("bytes */10");
  });
});
