// Which failed dashboard reads are asked again on the poller's next tick (dashboard/api.js `transient`): no answer at
// all, a 5xx, a 408 or a 429 may work next time; any other 4xx (a job that does not exist, a role too low) would
// only repeat its refusal every 3 s, so the page keeps showing it instead — the coordinator's: another server's 4xx (a
// gateway's lapsed session or block, a proxy's 404 mid-deploy; ApiError.foreign) says nothing of the request, and a
// page that showed it was never read again until an event (a job's page said "Job not available" for good).
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

  it("retries another server's refusal, which says nothing of the request", () => {
    for (const status of [401, 403, 404, 409])
      expect(transient(new ApiError(status, `HTTP ${status}`, "d", "", { foreign: true })), String(status)).toBe(true);
  });
});
