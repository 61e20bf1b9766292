// A single-valued request header sent twice is refused, never read as one odd value: the runtime joins repeated
// headers into "a, b" (Fetch `Headers.get`, shown here with `Headers.append`). An `Idempotency-Key` holding ", "
// (shared/api-keys, on POST …/jobs, jobs:batch and …/children) and a `Content-Type` with a comma outside a quoted
// parameter (worker/single-header, here through an artifact upload's `declaredUpload`) are refused 400
// validation_failed naming the header; one value — a key with a bare comma, a quoted parameter holding ", " — passes.
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/core/errors.ts";
import { DerivedKeyHeader, IdempotencyKeyHeader } from "../../src/shared/api.ts";
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
