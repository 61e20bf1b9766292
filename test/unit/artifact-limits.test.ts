// core/artifact-limits: an upload reserves its slot and declared bytes when it begins, counting the uploads in flight,
// so that whatever the interleaving of reserve / commit / fail / delete, the artifacts kept plus the uploads in flight
// never hold more than 100 slots or 256 MiB, the uploads in flight alone never stream more, and the commit's own
// check (kept artifacts only) never refuses an upload that was reserved. A re-upload of a kept name counts once.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ArtifactHold,
  artifactRefusal,
  heldUsage,
  MAX_ARTIFACT_BYTES,
  MAX_ARTIFACTS_PER_JOB,
  MAX_JOB_ARTIFACT_BYTES,
  reservationRefusal,
} from "../../src/core/artifact-limits.ts";

const MIB = 1024 * 1024;

describe("core/artifact-limits: reservations", () => {
  it("a re-upload of a kept name counts once; every upload in flight holds a slot and its declared bytes", () => {
    const kept = [
      { name: "a", size: 10 },
      { name: "b", size: 5 },
    ];
    expect(heldUsage(kept, [])).toEqual({ count: 2, bytes: 15 });
    expect(heldUsage(kept, [{ name: "a", size: 3 }])).toEqual({ count: 2, bytes: 15 }); // the kept 10 is larger
    expect(heldUsage(kept, [{ name: "a", size: 30 }])).toEqual({ count: 2, bytes: 35 }); // the upload is larger
    expect(heldUsage(kept, [{ name: "c", size: 1 }])).toEqual({ count: 3, bytes: 16 });
    // Two uploads of one name both stream: two slots, both sizes.
    expect(
      heldUsage(kept, [
        { name: "c", size: 1 },
        { name: "c", size: 2 },
      ]),
    ).toEqual({ count: 4, bytes: 18 });
    expect(
      heldUsage(kept, [
        { name: "a", size: 8 },
        { name: "a", size: 8 },
      ]),
    ).toEqual({ count: 3, bytes: 21 });
  });

  it("refuses the upload that would pass a limit, naming it and the uploads in flight", () => {
    const kept = Array.from({ length: MAX_ARTIFACTS_PER_JOB - 1 }, (_, i) => ({ name: `k${i}`, size: 1 }));
    expect(reservationRefusal("j", kept, [], { name: "new", size: 1 })).toBeUndefined();
    const refused = reservationRefusal("j", kept, [{ name: "new", size: 1 }], { name: "other", size: 1 });
    expect(refused?.code).toBe("too_many_artifacts");
    expect(refused?.details).toMatchObject({
      limit: MAX_ARTIFACTS_PER_JOB,
      count: MAX_ARTIFACTS_PER_JOB,
      uploading: 1,
    });
    expect(refused?.message).toContain(`(${MAX_ARTIFACTS_PER_JOB})`);
    // A re-upload of a kept name still goes at the limit.
    expect(reservationRefusal("j", kept, [{ name: "new", size: 1 }], { name: "k0", size: 1 })).toBeUndefined();

    const full = [{ name: "big", size: MAX_JOB_ARTIFACT_BYTES - 10 }];
    expect(reservationRefusal("j", full, [], { name: "x", size: 10 })).toBeUndefined();
    expect(reservationRefusal("j", full, [{ name: "x", size: 6 }], { name: "y", size: 4 })).toBeUndefined(); // exactly
    expect(reservationRefusal("j", full, [{ name: "x", size: 6 }], { name: "y", size: 5 })?.code).toBe(
      "payload_too_large",
    );
    const bytes = reservationRefusal("j", full, [{ name: "x", size: 6 }], { name: "y", size: 6 });
    expect(bytes?.code).toBe("payload_too_large");
    expect(bytes?.details).toMatchObject({ limit: MAX_JOB_ARTIFACT_BYTES, held: MAX_JOB_ARTIFACT_BYTES - 4, size: 6 });
  });

  it("whatever the interleaving of reserve, commit, fail and delete: kept + in flight stay within the limits", () => {
    const name = fc.integer({ min: 0, max: 130 }).map((i) => `n${i}`);
    // Two kinds of run: sizes up to the per-artifact maximum (the byte limit binds first), and sizes of a few bytes
    // (the count binds first).
    // Round sizes (and a single byte) so that held bytes land exactly on the limit, not only near it.
    const big = fc.oneof(
      fc.integer({ min: 0, max: MAX_ARTIFACT_BYTES }),
      fc.constantFrom(0, 1, MIB, 8 * MIB, 16 * MIB, MAX_ARTIFACT_BYTES),
    );
    const small = fc.integer({ min: 0, max: 16 });
    const ops = (size: fc.Arbitrary<number>, reserves: number) =>
      fc.array(
        fc.oneof(
          { weight: reserves, arbitrary: fc.record({ kind: fc.constant("reserve" as const), name, size }) },
          { weight: 2, arbitrary: fc.record({ kind: fc.constant("commit" as const), pick: fc.nat() }) },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant("fail" as const), pick: fc.nat() }) },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }) },
        ),
        { minLength: 50, maxLength: 300, size: "max" },
      );
    fc.assert(
      fc.property(fc.oneof(ops(big, 4), ops(small, 8)), (run) => {
        const kept = new Map<string, number>();
        const inFlight: ArtifactHold[] = [];
        const keptList = () => [...kept].map(([n, s]) => ({ name: n, size: s }));
        for (const o of run) {
          if (o.kind === "reserve") {
            const refused = reservationRefusal("j", keptList(), inFlight, o);
            if (!refused) inFlight.push({ name: o.name, size: o.size });
          } else if (o.kind === "commit" && inFlight.length > 0) {
            const [u] = inFlight.splice(o.pick % inFlight.length, 1) as [ArtifactHold];
            const beside = keptList().filter((k) => k.name !== u.name);
            const usage = { count: beside.length, bytes: beside.reduce((s, k) => s + k.size, 0) };
            // The commit's last guard never refuses what was reserved.
            expect(artifactRefusal("j", usage, u.size)).toBeUndefined();
            kept.set(u.name, u.size);
          } else if (o.kind === "fail" && inFlight.length > 0) {
            inFlight.splice(o.pick % inFlight.length, 1);
          } else if (o.kind === "delete" && kept.size > 0) {
            kept.delete([...kept.keys()][o.pick % kept.size] as string);
          }
          const held = heldUsage(keptList(), inFlight);
          expect(held.count).toBeLessThanOrEqual(MAX_ARTIFACTS_PER_JOB);
          expect(held.bytes).toBeLessThanOrEqual(MAX_JOB_ARTIFACT_BYTES);
          // Held bounds what streams (every upload in flight) and what is kept, each on its own.
          expect(inFlight.length).toBeLessThanOrEqual(MAX_ARTIFACTS_PER_JOB);
          expect(inFlight.reduce((s, u) => s + u.size, 0)).toBeLessThanOrEqual(MAX_JOB_ARTIFACT_BYTES);
          expect(kept.size).toBeLessThanOrEqual(MAX_ARTIFACTS_PER_JOB);
          expect([...kept.values()].reduce((s, b) => s + b, 0)).toBeLessThanOrEqual(MAX_JOB_ARTIFACT_BYTES);
        }
      }),
      // A failing run of hundreds of steps shrinks for many minutes: the first counterexample is reported as found.
      { numRuns: 60, endOnFailure: true },
    );
  });
});
