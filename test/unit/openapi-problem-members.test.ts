// A problem+json's own members (RFC 9457 type, title, status, detail, and our code) are the problem's: a
// DomainError's details are extension members beside them and never replace them. A release of a factory that was not
// quarantined carried `{factoryId, status: "active"}` as details, and the 409 answer's `status` said "active" — a
// client reading `status` (as the document declares it: an integer) got a string. worker/problem writes the details
// first and its own members last.
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/core/errors.ts";
import { problemOf } from "../../src/worker/problem.ts";

describe("a problem's own members", () => {
  it("are not replaced by details of the same name; other details stay as extension members", () => {
    const details = { status: "active", code: "x", type: "t", title: "T", detail: "d", factoryId: "fac_1" };
    const p = problemOf(new DomainError("conflict", "factory fac_1 is active, not quarantined", details));
    expect(p).toEqual({
      type: "https://gigafactory.dev/problems/conflict",
      title: "Conflict",
      status: 409,
      detail: "factory fac_1 is active, not quarantined",
      code: "conflict",
      factoryId: "fac_1",
    });
  });
});
