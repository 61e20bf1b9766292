// The CLI gives a refusal its code's advice only when it is a problem as the coordinator writes them (shared/
// problem-words isCoordinatorProblem: application/problem+json; type, title, detail, a snake_case code), so every
// refusal the Worker answers must be one: each DomainError code through the Worker's onError, an unexpected error's
// 500 and a platform's transient 503, read back by the REST client's apiErrorOf as the coordinator's (fromCoordinator)
// — a refusal that lost a member would be told as another server's ("the answer is not a Gigafactory problem").
import { Hono } from "hono";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { DomainError, ERROR_CODES, type ErrorCode } from "../../src/core/errors.ts";
import { apiErrorOf } from "../../src/shared/http-transport.ts";
import { onError } from "../../src/worker/problem.ts";

/** The Worker's answer when a handler throws `err`, as the REST client reads it. */
async function refusedWith(err: unknown) {
  const app = new Hono();
  app.get("/", () => {
    throw err;
  });
  app.onError(onError);
  return apiErrorOf(await app.request("/"));
}

// onError logs what it answers 500 or 503 for: not this test's output.
beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation(() => {});
  vi.spyOn(console, "warn").mockImplementation(() => {});
});

describe("every refusal the Worker answers is the coordinator's problem to the CLI", () => {
  it("each DomainError code", async () => {
    const codes = Object.keys(ERROR_CODES) as ErrorCode[];
    expect(codes.length).toBeGreaterThan(20);
    const told = await Promise.all(codes.map(async (code) => refusedWith(new DomainError(code, `refused: ${code}`))));
    expect(told.filter((e) => !e.fromCoordinator).map((e) => e.code)).toEqual([]);
    expect(told.map((e) => e.code)).toEqual(codes);
  });

  it("an unexpected error's 500 and a platform's transient 503", async () => {
    const internal = await refusedWith(new Error("boom"));
    expect([internal.status, internal.code, internal.fromCoordinator]).toEqual([500, "internal", true]);
    const moving = await refusedWith(Object.assign(new Error("moving"), { retryable: true }));
    expect([moving.status, moving.code, moving.fromCoordinator]).toEqual([503, "unavailable", true]);
  });
});
