// Every error code the coordinator can answer (core/errors ERROR_CODES) has its own fix line in the CLI's
// `✘ ERROR code: … / fix`, not the generic "see gigafactory --help": a code added to the API without one (as
// too_many_artifacts, feed_purged and limit_exceeded were) fails here.
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
});
