// A job snapshot's text cut from the document saveJob wrote (outbox/snapshot-text) is byte for byte what serializing
// the snapshot again gives: for any job shape — `bodyMd` anywhere, nested objects holding a `bodyMd` of the same
// text, quotes, backslashes and the key's own text inside strings — the cut is exact or declined, never different;
// and a job as submitJob builds it (strings first, then the body) always takes the cut.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Job } from "../../src/core/model.ts";
import { fitRecordJson, RECORD_MAX_BYTES } from "../../src/core/record-bounds.ts";
import { docWithoutBody, withDoc } from "../../src/durable-objects/coordinator/outbox/snapshot-text.ts";

/** Strings that try to look like the member being cut. */
const tricky = fc.oneof(
  fc.string(),
  fc.constantFrom(',"bodyMd":', '","bodyMd":"x', '\\",\\"bodyMd\\":', "\\", '"', "\u2028", "é🙂"),
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  tricky,
  fc.constant(undefined),
  tricky.map((s) => ({ bodyMd: s })),
);

/** A job-like object: members in any order, `bodyMd` (or none) at any place, a nested copy of the body maybe. */
const jobs = fc
  .record({
    members: fc.array(fc.tuple(fc.string({ maxLength: 8 }), value), { maxLength: 8 }),
    body: fc.option(tricky, { nil: undefined }),
    at: fc.nat(9),
    nestedAt: fc.option(fc.nat(9), { nil: undefined }),
  })
  .map(({ members, body, at, nestedAt }) => {
    const entries = members.filter(([k]) => k !== "bodyMd" && k !== "__proto__");
    entries.splice(Math.min(at, entries.length), 0, ["bodyMd", body]);
    // A nested member whose own `,"bodyMd":` with the same text comes first in the serialized job, or after it.
    if (nestedAt !== undefined) entries.splice(nestedAt, 0, ["nested", { x: 1, bodyMd: body, more: [{ y: body }] }]);
    return Object.fromEntries(entries) as unknown as Job;
  });

describe("a snapshot's doc cut from the saved document", () => {
  it("is exactly the job serialized without its body, or declined", () => {
    fc.assert(
      fc.property(jobs, (job) => {
        const cut = docWithoutBody(job, JSON.stringify(job));
        if (cut !== undefined) expect(cut).toBe(JSON.stringify({ ...job, bodyMd: undefined }));
      }),
      { numRuns: 2000 },
    );
  });

  it("is taken for a job as submitJob builds it, whatever its texts", () => {
    const submitted = fc
      .record({ id: fc.string(), productId: fc.string(), title: tricky, bodyMd: tricky, rest: fc.jsonValue() })
      .map(
        ({ rest, ...head }) =>
          ({ ...head, manifest: { bodyMd: head.bodyMd, rest }, stage: "queued" }) as unknown as Job,
      );
    fc.assert(
      fc.property(submitted, (job) => {
        expect(docWithoutBody(job, JSON.stringify(job))).toBe(JSON.stringify({ ...job, bodyMd: undefined }));
      }),
    );
  });

  it("makes the snapshot's whole text, as fitRecordJson writes it when it fits", () => {
    const heads = fc.dictionary(
      fc.string({ maxLength: 6 }).filter((k) => k !== "doc" && k !== "__proto__"),
      fc.oneof(tricky, fc.integer(), fc.constant(null)),
      { maxKeys: 9 },
    );
    fc.assert(
      fc.property(heads, jobs, (head, job) => {
        const doc = { ...job, bodyMd: undefined };
        const expected = fitRecordJson({ ...head, doc }, RECORD_MAX_BYTES.snapshot);
        expect(withDoc(head, JSON.stringify(doc))).toBe(expected);
      }),
    );
  });
});
