// Which failed dashboard reads are asked again on the poller's next tick (dashboard/api.js `transient`): no answer at
// all, a 5xx, a 408 or a 429 may work next time; any other 4xx (a job that does not exist, a role too low) would
// only repeat its refusal every 3 s, so the page keeps showing it instead.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { ApiError, transient } from "../../dashboard/api.js";

const answer = (status: number) => new ApiError(status, "t", "d", "c");

describe("dashboard: a failed read worth retrying", () => {
  it("retries what the network or the server caused", () => {
    for (const status of [0, 408, 429, 500, 502, 503, 504])
      expect(transient(answer(status)), String(status)).toBe(true);
    expect(transient(new TypeError("Failed to fetch"))).toBe(true); // not an ApiError: e.g. a body that was not JSON
  });

  it("does not retry a refusal of the request itself", () => {
    for (const status of [400, 401, 403, 404, 409, 410, 422])
      expect(transient(answer(status)), String(status)).toBe(false);
  });
});
