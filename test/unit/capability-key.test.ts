// The queue bucket key (core/capability-key): insensitive to the order and repeats of a job's requirements,
// distinct for distinct requirement sets, and decoding back to exactly the set the router filters on.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { capabilitiesOfKey, capabilityKey, holdsAll, keyOfCapabilities } from "../../src/core/capability-key.ts";
import { effectiveRequires } from "../../src/core/router.ts";

const capability = fc.string({ maxLength: 12 });
const caps = fc.array(capability, { maxLength: 8 });

describe("capability key", () => {
  it("ignores the order of the requirements", () => {
    const permuted = caps.chain((list) =>
      fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length })),
    );
    fc.assert(
      fc.property(permuted, ([list, shuffled]) => {
        expect(keyOfCapabilities(shuffled)).toBe(keyOfCapabilities(list));
      }),
    );
  });

  it("ignores repeated requirements", () => {
    fc.assert(
      fc.property(caps, fc.array(fc.nat(), { maxLength: 8 }), (list, picks) => {
        const repeats = list.length === 0 ? [] : picks.map((p) => list[p % list.length]!);
        expect(keyOfCapabilities([...list, ...repeats])).toBe(keyOfCapabilities(list));
      }),
    );
  });

  it("is distinct for distinct sets, whatever characters a capability holds", () => {
    fc.assert(
      fc.property(caps, caps, (a, b) => {
        const same = new Set(a).size === new Set(b).size && a.every((c) => b.includes(c));
        expect(keyOfCapabilities(a) === keyOfCapabilities(b)).toBe(same);
      }),
    );
    // A separator-joined key would merge these two.
    expect(keyOfCapabilities(["a,b"])).not.toBe(keyOfCapabilities(["a", "b"]));
  });

  it("decodes to the sorted, distinct set", () => {
    fc.assert(
      fc.property(caps, (list) => {
        expect(capabilitiesOfKey(keyOfCapabilities(list))).toEqual([...new Set(list)].sort());
      }),
    );
  });

  it("keys a job by its effective requirements, engine included", () => {
    const job = { requires: ["os:linux", "gpu", "os:linux"], engine: "codex" };
    expect(capabilityKey(job)).toBe('["engine:codex","gpu","os:linux"]');
    expect(capabilitiesOfKey(capabilityKey(job)).sort()).toEqual(effectiveRequires(job).sort());
    expect(capabilityKey({ requires: [] })).toBe("[]");
    // The engine is a requirement like any other: the same set spelt either way is one bucket.
    expect(capabilityKey({ requires: ["engine:codex"] })).toBe(capabilityKey({ requires: [], engine: "codex" }));
  });

  it("holdsAll: a factory passes the capability filter exactly when it holds every capability of the key", () => {
    fc.assert(
      fc.property(caps, caps, (held, required) => {
        const set = new Set(held);
        expect(holdsAll(set, capabilitiesOfKey(keyOfCapabilities(required)))).toBe(required.every((c) => set.has(c)));
      }),
    );
  });
});
