// An `assign` frame made with each job's saved document spliced in (factories/assign-text) is byte for byte the frame
// serialized whole: for any jobs, saved or not, and any members beside `job` (lessons, an allowance, members left
// undefined, none at all) — and it serializes no saved job's document a second time.
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Job } from "../../src/core/model.ts";
import { assignFrameText } from "../../src/durable-objects/coordinator/factories/assign-text.ts";
import { noteSavedDoc } from "../../src/durable-objects/coordinator/outbox/snapshot-text.ts";
import type { Assignment } from "../../src/shared/protocol.ts";

const text = fc.oneof(fc.string(), fc.constantFrom('"job":', "\\", '"', "\u2028", "é🙂", "}]}"));
const job = fc
  .record({ id: text, title: text, bodyMd: text, manifest: fc.jsonValue(), extra: fc.option(text, { nil: undefined }) })
  .map((j) => j as unknown as Job);
const assignment = fc
  .record({
    job,
    saved: fc.boolean(),
    leaseEpoch: fc.nat(),
    expiresAt: fc.nat(),
    ttlSeconds: fc.nat(),
    lessons: fc.option(fc.array(fc.record({ id: text, text })), { nil: undefined }),
    usd: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: undefined }),
  })
  .map(({ saved, usd, ...a }): Assignment => {
    if (saved) noteSavedDoc(a.job, JSON.stringify(a.job));
    return { ...a, ...(usd === undefined ? {} : { usd }) } as Assignment;
  });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("an assign frame's text", () => {
  it("is exactly the frame serialized whole", () => {
    fc.assert(
      fc.property(fc.array(assignment, { maxLength: 5 }), (assignments) => {
        expect(assignFrameText(assignments)).toBe(JSON.stringify({ type: "assign", assignments }));
      }),
      { numRuns: 1000 },
    );
  });

  it("with only `job` in an assignment, or `job` not first, is still exact", () => {
    const j = { id: "job_1", bodyMd: "b" } as unknown as Job;
    noteSavedDoc(j, JSON.stringify(j));
    const only = [{ job: j } as unknown as Assignment];
    const later = [{ leaseEpoch: 1, job: j } as unknown as Assignment];
    expect(assignFrameText(only)).toBe(JSON.stringify({ type: "assign", assignments: only }));
    expect(assignFrameText(later)).toBe(JSON.stringify({ type: "assign", assignments: later }));
  });

  it("serializes no saved job's document again", () => {
    const saved = { id: "job_saved", title: "t", bodyMd: "the body, serialized once" } as unknown as Job;
    noteSavedDoc(saved, JSON.stringify(saved));
    const stringify = vi.spyOn(JSON, "stringify");
    const frame = assignFrameText([{ job: saved, leaseEpoch: 1, expiresAt: 2, ttlSeconds: 3, lessons: [] }]);
    expect(frame).toContain("the body, serialized once");
    const texts = stringify.mock.results.map((r) => String(r.value));
    expect(texts.filter((t) => t.includes("the body, serialized once"))).toEqual([]);
  });
});
