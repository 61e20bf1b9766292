// Every request header the Worker reads is bounded in bytes of UTF-8 (core/bytes), even one it only compares:
// If-Range takes 1 KiB and refuses one byte more (its schema, so a 400 naming it), and an Accept over 4 KiB is
// disregarded — the JSON answer, as with no Accept — instead of being split and sorted at any size.
import { describe, expect, it } from "vitest";
import { IF_RANGE_MAX_BYTES, IfRangeHeader } from "../../src/worker/artifact-range.ts";
import { ACCEPT_MAX_BYTES, prefersPrometheus } from "../../src/worker/routes/metrics.ts";

describe("request headers read only to compare are bounded too", () => {
  it("takes an If-Range of 1 KiB of UTF-8 and refuses one byte more, counting bytes, not characters", () => {
    expect(IF_RANGE_MAX_BYTES).toBe(1024);
    expect(IfRangeHeader.safeParse("x".repeat(1024)).success).toBe(true);
    expect(IfRangeHeader.safeParse("x".repeat(1025)).success).toBe(false);
    // 342 two-byte characters are 684 bytes (within); 513 are 1,026 bytes (over), though 513 characters.
    expect(IfRangeHeader.safeParse("é".repeat(342)).success).toBe(true);
    expect(IfRangeHeader.safeParse("é".repeat(513)).success).toBe(false);
  });

  it("disregards an Accept over 4 KiB: the JSON answer, as with none", () => {
    const asks = "text/plain;version=0.0.4";
    expect(prefersPrometheus(asks)).toBe(true);
    const padded = `${asks},${"application/x-pad;q=0.1,".repeat(150)}`;
    expect(new TextEncoder().encode(padded).length).toBeLessThanOrEqual(ACCEPT_MAX_BYTES);
    expect(prefersPrometheus(padded)).toBe(true);
    const over = `${asks},${"application/x-pad;q=0.1,".repeat(150)}${"x".repeat(ACCEPT_MAX_BYTES)}`;
    expect(prefersPrometheus(over)).toBe(false);
  });
});
