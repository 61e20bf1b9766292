// Outbox records are bounded in UTF-8 bytes at creation: a body over its budget is cut down (and
// marked) until it fits, a log batch is split into several records instead of cut, lists keep their newest.
import { describe, expect, it } from "vitest";
import { jsonBytes } from "../../src/core/bytes.ts";
import { appendBounded, fitRecord, RECORD_MAX_BYTES, splitLines } from "../../src/core/record-bounds.ts";

describe("fitRecord", () => {
  it("returns a record that fits unchanged", () => {
    const body = { jobId: "j", stage: "queued", doc: { title: "t" } };
    expect(fitRecord(body, 1024)).toBe(body);
  });

  it("cuts long strings on code-point boundaries, measured in bytes, not UTF-16 units", () => {
    // 20,000 emoji: 40,000 UTF-16 units but 80,000 bytes.
    const body = { jobId: "j", doc: { note: "🙂".repeat(20_000) } };
    const fit = fitRecord(body, RECORD_MAX_BYTES.audit);
    expect(jsonBytes(fit)).toBeLessThanOrEqual(RECORD_MAX_BYTES.audit);
    expect(fit.jobId).toBe("j");
    expect(fit.truncated).toEqual({ bytes: jsonBytes(body) });
    expect((fit.doc as { note: string }).note).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it("keeps the newest items of a long list", () => {
    const reviews = Array.from({ length: 500 }, (_, i) => ({ reviewer: `r${i}`, note: "x".repeat(200) }));
    const fit = fitRecord({ jobId: "j", doc: { reviews } }, 16 * 1024);
    const kept = (fit.doc as { reviews: Array<{ reviewer: string }> }).reviews;
    expect(kept.at(-1)?.reviewer).toBe("r499");
    expect(jsonBytes(fit)).toBeLessThanOrEqual(16 * 1024);
  });

  it("falls back to the top-level scalars when nothing else fits", () => {
    const wide = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, i]));
    const fit = fitRecord({ jobId: "j", rev: 3, doc: wide }, 1024);
    expect(fit).toEqual({ jobId: "j", rev: 3, doc: { truncated: true }, truncated: { bytes: expect.any(Number) } });
  });
});

describe("splitLines", () => {
  it("splits a log batch over the budget into consecutive records, losing no line", () => {
    const lines = Array.from({ length: 200 }, (_, i) => ({
      stream: "stdout",
      text: `${i} ${"漢".repeat(1_300)}`,
      at: i,
    }));
    const body = { jobId: "j", type: "log", at: 1, data: { factoryId: "f", lines } };
    const parts = splitLines(body, RECORD_MAX_BYTES.event);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(jsonBytes(p)).toBeLessThanOrEqual(RECORD_MAX_BYTES.event);
    expect(parts.flatMap((p) => (p.data as { lines: unknown[] }).lines)).toEqual(lines);
    expect(parts.every((p) => (p.data as { factoryId: string }).factoryId === "f")).toBe(true);
  });

  it("leaves a record without lines, or one that fits, alone", () => {
    const small = { jobId: "j", type: "log", at: 1, data: { lines: [{ text: "hi" }] } };
    expect(splitLines(small, 1024)).toEqual([small]);
    const other = { jobId: "j", type: "progress", at: 1, data: { note: "x".repeat(5_000) } };
    expect(splitLines(other, 1024)).toEqual([other]);
  });
});

describe("appendBounded", () => {
  it("appends and keeps only the newest items", () => {
    expect(appendBounded([1, 2, 3], 4, 3)).toEqual([2, 3, 4]);
    expect(appendBounded(undefined, 1, 3)).toEqual([1]);
  });
});
