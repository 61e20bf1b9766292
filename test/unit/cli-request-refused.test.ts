// What the CLI says of a 415 or a 405 to a request of its own is what can cause one: it sends JSON or Markdown in
// UTF-8, uncompressed, so a 415 means the body was changed on its way (a proxy in front of --url that compresses or
// re-types bodies) — not only "this is a CLI bug" — and a 405 a coordinator older than the CLI, without the method.
// Each through the CLI's error line (cli/errors `toCliError`), from the Worker's own problems.
import { describe, expect, it } from "vitest";
import { toCliError } from "../../src/cli/errors.ts";
import { DomainError } from "../../src/core/errors.ts";
import { ApiError } from "../../src/shared/http-transport.ts";
import { problemOf } from "../../src/worker/problem.ts";
import { assertNoContentCoding } from "../../src/worker/validate-params.ts";

/** The CLI's report of `err` as the Worker answers it (its problem+json body). */
function reportOf(err: DomainError) {
  const p = problemOf(err);
  return toCliError(new ApiError(p.status, p.code, p.title, p.detail, p));
}

describe("the CLI's fix for a request the coordinator would not take", () => {
  it("415: names a proxy that changes bodies on the way, and a CLI bug only without one", () => {
    let coded: DomainError | undefined;
    try {
      assertNoContentCoding("gzip");
    } catch (err) {
      coded = err as DomainError;
    }
    const retyped = new DomainError("unsupported_media_type", "expected application/json, got text/plain");
    for (const err of [coded, retyped]) {
      const report = reportOf(err as DomainError);
      expect([report.code, report.exitCode]).toEqual(["unsupported_media_type", 1]);
      expect(report.fix).toMatch(/this CLI sends JSON or Markdown in UTF-8, uncompressed/);
      expect(report.fix).toMatch(/a proxy .*--url/);
      expect(report.fix).not.toMatch(/^this is a CLI bug/);
    }
  });

  it("405: names a coordinator older than the CLI", () => {
    const report = reportOf(new DomainError("method_not_allowed", "/api/v1/products/p/jobs takes GET, POST, not PUT"));
    expect([report.code, report.exitCode]).toEqual(["method_not_allowed", 1]);
    expect(report.fix).toMatch(/older than this CLI/);
    expect(report.fix).not.toMatch(/^this is a CLI bug/);
  });
});
