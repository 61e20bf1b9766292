// A single-valued request header sent twice is refused, never read as one odd value: the runtime joins repeated
// headers into "a, b" (Fetch `Headers.get`, shown here with `Headers.append`). An `Idempotency-Key` holding ", "
// (shared/api-keys, on POST …/jobs, jobs:batch and …/children) and a `Content-Type` with a comma outside a quoted
// parameter (worker/single-header, here through an artifact upload's `declaredUpload`) are refused 400
// validation_failed naming the header; one value — a key with a bare comma, a quoted parameter holding ", " — passes.
// The other single-valued headers the Worker reads were safe already and stay so: a joined Last-Event-ID is refused
// (digits only); a joined Range or If-Range is no range or tag of ours, so the whole artifact is served.
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/core/errors.ts";
import { DerivedKeyHeader, IdempotencyKeyHeader, LastEventIdHeader } from "../../src/shared/api.ts";
import { IfRangeHeader, planRange, RangeHeader } from "../../src/worker/artifact-range.ts";
import { declaredUpload } from "../../src/worker/artifact-upload.ts";
import { holdsSeveral } from "../../src/worker/single-header.ts";

/** Headers with `name` appended once per value, as two header lines on the wire arrive. */
function twice(name: string, values: string[], base: Record<string, string> = {}): Headers {
  const h = new Headers(base);
  for (const v of values) h.append(name, v);
  return h;
}

describe("Idempotency-Key: one key", () => {
  it("two keys arrive joined with ', ', and that is refused by both key schemas", () => {
    const joined = twice("idempotency-key", ["key-a", "key-b"]).get("idempotency-key");
    expect(joined).toBe("key-a, key-b");
    for (const schema of [IdempotencyKeyHeader, DerivedKeyHeader]) {
      const r = schema.safeParse(joined);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toContain('without ", "');
    }
  });

  it("one key passes, a bare comma in it too", () => {
    for (const key of ["key-a", "a,b", "2026-12-05T19:00:00Z", "x".repeat(128)]) {
      expect(IdempotencyKeyHeader.safeParse(key).success).toBe(true);
      expect(DerivedKeyHeader.safeParse(key).success).toBe(true);
    }
  });
});

describe("Content-Type: one media type", () => {
  it("holdsSeveral: a comma outside quotes is a list; inside a quoted parameter it is one value", () => {
    expect(holdsSeveral("text/plain, text/html")).toBe(true);
    expect(holdsSeveral("application/json,application/json")).toBe(true);
    expect(holdsSeveral('text/plain; x="a, b"')).toBe(false);
    expect(holdsSeveral('text/plain; x="a\\", b"')).toBe(false);
    expect(holdsSeveral('text/plain; x="a", text/html')).toBe(true);
    expect(holdsSeveral("text/plain; charset=utf-8")).toBe(false);
  });

  it("an artifact upload declaring two types is refused 400 naming Content-Type, not stored as the pair", () => {
    const h = twice("content-type", ["text/plain", "text/html"], { "content-length": "5" });
    let refused: DomainError | undefined;
    try {
      declaredUpload(h);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      refused = err;
    }
    expect(refused?.code).toBe("validation_failed");
    expect(refused?.message).toContain('Content-Type holds several values ("text/plain, text/html")');
    expect(declaredUpload(new Headers({ "content-length": "5", "content-type": "text/plain" })).contentType).toBe(
      "text/plain",
    );
  });
});

describe("the other single-valued headers, joined, are never read as one odd value", () => {
  const etag = '"abc"';
  const joined = (name: string, values: string[]) => twice(name, values).get(name) ?? "";

  it("Last-Event-ID: two seqs joined are refused (digits only)", () => {
    expect(LastEventIdHeader.safeParse(joined("last-event-id", ["5", "9"])).success).toBe(false);
  });

  it("Range: two ranges joined are no range of ours, so the whole artifact (200), never one of them", () => {
    for (const values of [
      ["bytes=0-4", "bytes=0-4"],
      ["bytes=0-4", "bytes=100-"],
    ]) {
      const asked = RangeHeader.parse(joined("range", values));
      expect(planRange(1000, etag, asked, undefined)).toEqual({ kind: "whole" });
    }
  });

  it("If-Range: two tags joined match no ETag, so the whole artifact (200), never a part", () => {
    const ifRange = IfRangeHeader.parse(joined("if-range", [etag, etag]));
    expect(planRange(1000, etag, RangeHeader.parse("bytes=0-4"), ifRange)).toEqual({ kind: "whole" });
  });
});
