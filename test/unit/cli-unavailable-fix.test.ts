// What the CLI says of a 503 `unavailable` does not contradict the coordinator's own detail: its fix line said
// "nothing was kept; send the same request again (it is idempotent)" under every 503 — also under the one the Worker
// writes when the product's coordinator could not be reached mid-request, whose detail says a write may or may not
// have taken effect (worker/problem `transientFailure`), and for requests that are not idempotent (a lesson added, a
// token minted). Each 503 detail the Worker writes, through the CLI's error line (cli/errors `toCliError`).
import { describe, expect, it } from "vitest";
import { toCliError } from "../../src/cli/errors.ts";
import { DomainError } from "../../src/core/errors.ts";
import { feedBehind } from "../../src/durable-objects/coordinator/outbox/shipper.ts";
import { ApiError } from "../../src/shared/http-transport.ts";
import { problemOf, transientFailure } from "../../src/worker/problem.ts";

/** The CLI's report of `err` as the Worker answers it (its problem+json body). */
function reportOf(err: DomainError) {
  const p = problemOf(err);
  return toCliError(new ApiError(p.status, p.code, p.title, p.detail, p));
}

const RETRYABLE = transientFailure(Object.assign(new Error("Network connection lost."), { retryable: true }))?.error;
const OVERLOADED = transientFailure(Object.assign(new Error("overloaded"), { overloaded: true }))?.error;

describe("the CLI's fix for a 503 unavailable", () => {
  it("does not say nothing was kept, nor that the request is idempotent, where a write may have taken effect", () => {
    expect(RETRYABLE?.message).toMatch(/a write may or may not have taken effect/);
    const report = reportOf(RETRYABLE as DomainError);
    expect(report.code).toBe("unavailable");
    expect(report.fix).not.toMatch(/nothing was kept|it is idempotent/);
    expect(report.fix).toMatch(/where the detail says a write may have taken effect, look at what it did/);
  });

  it("says to send it again for every 503 the Worker writes", () => {
    const details = [
      RETRYABLE,
      OVERLOADED,
      feedBehind("job_1"),
      new DomainError("unavailable", "the history (D1) could not be read just now; it is kept — try again shortly"),
    ];
    for (const err of details) {
      const report = reportOf(err as DomainError);
      expect([report.code, report.exitCode]).toEqual(["unavailable", 1]);
      expect(report.fix).toMatch(/^send the request again/);
    }
  });
});
