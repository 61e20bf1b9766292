// An artifact upload's declared headers, read as zod schemas (worker/artifact-upload `declaredUpload`): Content-Length
// is decimal digits (it was read with `Number`, so "" was 0, "0x10" 16 and "1e3" 1000) and at most 25 MiB exactly;
// Content-Type is printable ASCII (a C1 control such as U+0085 was stored in the pointer, listed and broadcast), its
// first 200 characters kept, and `application/octet-stream` when absent or empty. Refusals are 400 / 413.
import { describe, expect, it } from "vitest";
import { MAX_ARTIFACT_BYTES } from "../../src/core/artifact-limits.ts";
import { DomainError } from "../../src/core/errors.ts";
import { declaredUpload } from "../../src/worker/artifact-upload.ts";

const declared = (h: Record<string, string>) => declaredUpload(new Headers(h));

function refusal(h: Record<string, string>): { code: string; detail: string } {
  try {
    declared(h);
  } catch (err) {
    if (err instanceof DomainError) return { code: err.code, detail: err.message };
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(h)}`);
}

describe("declaredUpload: Content-Length", () => {
  it.each(["", "0x10", "1e3", "-1", "1.5", "5, 5", "99999999999999999"])("refuses %j as a 400", (length) => {
    expect(refusal({ "content-length": length })).toMatchObject({
      code: "validation_failed",
      detail: expect.stringContaining("Content-Length, a whole number of bytes"),
    });
  });

  it("takes 0 and exactly the limit; one byte over is a 413 naming it", () => {
    expect(declared({ "content-length": "0" }).length).toBe(0);
    expect(declared({ "content-length": String(MAX_ARTIFACT_BYTES) }).length).toBe(MAX_ARTIFACT_BYTES);
    expect(refusal({ "content-length": String(MAX_ARTIFACT_BYTES + 1) }).code).toBe("payload_too_large");
  });

  it("refuses a missing one", () => {
    expect(refusal({}).code).toBe("validation_failed");
  });
});

describe("declaredUpload: Content-Type", () => {
  it.each(["text/plain\u0085", "text/plain; x=\u00ff", "text/\u007fplain"])("refuses %j as a 400", (type) => {
    expect(refusal({ "content-length": "1", "content-type": type })).toMatchObject({
      code: "validation_failed",
      detail: expect.stringMatching(/^Content-Type: printable ASCII/),
    });
  });

  it("keeps a media type as declared, cut to 200 characters; absent or empty is application/octet-stream", () => {
    expect(declared({ "content-length": "1", "content-type": "text/x-diff; charset=utf-8" }).contentType).toBe(
      "text/x-diff; charset=utf-8",
    );
    const long = `text/plain; x="${"y".repeat(300)}"`;
    expect(declared({ "content-length": "1", "content-type": long }).contentType).toBe(long.slice(0, 200));
    expect(declared({ "content-length": "1" }).contentType).toBe("application/octet-stream");
    expect(declared({ "content-length": "1", "content-type": "" }).contentType).toBe("application/octet-stream");
  });
});
