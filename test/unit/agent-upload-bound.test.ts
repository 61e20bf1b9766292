// Proves an artifact upload's time bound grows with its size (agent/rest `uploadTimeoutMs`): a flat 60 s needed a
// 3.5 Mbit/s uplink for the largest artifact (25 MiB), so a host on a slower but working link failed every try of
// its log or diff. The bound is 60 s plus the bytes at 128 KiB/s (~1 Mbit/s), and the agent's own size cap is the
// coordinator's (core/artifact-limits), checked in one place.
import { describe, expect, it } from "vitest";
import { uploadTimeoutMs } from "../../src/agent/rest.ts";
import { MAX_ARTIFACT_BYTES } from "../../src/core/artifact-limits.ts";

describe("an artifact upload's time bound", () => {
  it("is the base 60 s for a small artifact", () => {
    expect(uploadTimeoutMs(0)).toBe(60_000);
    expect(uploadTimeoutMs(1024)).toBeLessThan(61_000);
  });

  it("lets the largest artifact through a ~1 Mbit/s uplink", () => {
    const bound = uploadTimeoutMs(MAX_ARTIFACT_BYTES);
    const atOneMbit = (MAX_ARTIFACT_BYTES * 8) / 1_000_000; // s at 1,000,000 bit/s
    expect(bound / 1000).toBeGreaterThan(atOneMbit);
    expect(bound).toBe(260_000); // 60 s + 25 MiB at 128 KiB/s
  });

  it("never shrinks as the artifact grows", () => {
    for (let b = 0; b < MAX_ARTIFACT_BYTES; b += 1_048_573)
      expect(uploadTimeoutMs(b + 1)).toBeGreaterThanOrEqual(uploadTimeoutMs(b));
  });
});
