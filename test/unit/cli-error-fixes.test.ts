// Every error code the coordinator can answer (core/errors ERROR_CODES) has its own fix line in the CLI's
// `✘ ERROR code: … / fix`, not the generic "see gigafactory --help": a code added to the API without one (as
// too_many_artifacts, feed_purged and limit_exceeded were) fails here; and the README's list of problem codes names
// every one (budget_exceeded, too_many_artifacts, identical_arms, feed_purged and unavailable were missing).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { toCliError } from "../../src/cli/errors.ts";
import { ERROR_CODES } from "../../src/core/errors.ts";
import { ApiError } from "../../src/shared/http-transport.ts";

describe("the CLI's advice per API error code", () => {
  it.each(Object.entries(ERROR_CODES))("%s (%i) has a fix of its own", (code, status) => {
    const err = toCliError(new ApiError(status, code, "t", "what happened", {}));
    expect(err.code).toBe(code);
    expect(err.fix).not.toBe("see `gigafactory --help`");
    expect(err.fix.length).toBeGreaterThan(10);
  });

  it("every code is named in the README's list of problem codes", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const list = readme.slice(
      readme.indexOf("and a stable `code`"),
      readme.indexOf("Products are created by the admin"),
    );
    expect(Object.keys(ERROR_CODES).filter((code) => !list.includes(`\`${code}\``))).toEqual([]);
  });
});

// A not_found names what is missing (`what` in the problem): the fix points at the command that lists that kind.
// It used to be "check the id (`gigafactory jobs`, `gigafactory factories`)" for all of them — for a product that
// does not exist, the very `gigafactory jobs` that had just failed.
describe("the CLI's advice for not_found, by what is missing", () => {
  const notFound = (detail: string, body: unknown) => toCliError(new ApiError(404, "not_found", "t", detail, body)).fix;

  it.each([
    ["routing rule", "rr_x", "gigafactory routing rules"],
    ["lesson", "les_x", "gigafactory lessons list"],
    ["experiment", "ex_x", "gigafactory routing experiment show"],
    ["token", "tok_x", "gigafactory tokens"],
    ["alert", "al_x", "gigafactory alerts"],
    ["factory", "fac_x", "gigafactory factories"],
    ["job", "job_x", "gigafactory jobs"],
  ])("a missing %s points at `%s`'s list", (what, id, command) => {
    expect(notFound(`${what} ${id} does not exist`, { code: "not_found", what, id })).toContain(`\`${command}\``);
  });

  it("a missing product says how to create it, not to list its jobs", () => {
    const fix = notFound("product newprod does not exist; …", { code: "not_found", what: "product", id: "newprod" });
    expect(fix).toContain("gigafactory products create");
    expect(fix).not.toContain("gigafactory jobs");
  });

  it("a missing artifact points at the job's artifact list", () => {
    expect(notFound("job job_x has no artifact nope.txt", { code: "not_found" })).toContain(
      "`gigafactory artifacts job_x`",
    );
  });
});

// A refused move names the job it refused by its id where the problem carries it: `ship job_1` of a queued job said
// "look at the job's current stage with `gigafactory job ID`" — a placeholder for the id the command had just typed.
describe("a fix that names the refused job", () => {
  it.each([
    ["illegal_transition", 409, "look at the job's current stage with `gigafactory job job_0mx1`"],
    ["budget_exceeded", 409, "`gigafactory requeue job_0mx1 --budget-usd N`"],
  ])("%s names it by its id", (code, status, fix) => {
    const err = toCliError(new ApiError(status, code, "t", "refused", { jobId: "job_0mx1" }));
    expect(err.fix).toContain(fix);
  });

  it("an artifact not found names the job's artifacts list by its id", () => {
    const err = toCliError(new ApiError(404, "not_found", "t", "job job_0mx1 has no artifact diff.patch", {}));
    expect(err.fix).toBe("check the name: `gigafactory artifacts job_0mx1` lists the job's artifacts");
  });

  it("keeps the placeholder when the problem names no job, or a job id no shell takes as one word", () => {
    expect(toCliError(new ApiError(409, "illegal_transition", "t", "refused", {})).fix).toContain(
      "`gigafactory job ID`",
    );
    const odd = toCliError(new ApiError(409, "illegal_transition", "t", "refused", { jobId: "a b;rm" }));
    expect(odd.fix).toContain("`gigafactory job ID`");
  });
});
