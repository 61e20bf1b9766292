// Proves the Worker's error answer for the platform's own transient Durable Object failures (worker/problem
// onError): an error the runtime marks `.overloaded` or `.retryable` is a 503 `unavailable` problem with Retry-After,
// not the 500 "unexpected error" a bug gets; an unmarked error, or one marked false, is still that 500.
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { onError } from "../../src/worker/problem.ts";

function answerTo(thrown: unknown): Promise<Response> {
  const app = new Hono();
  app.get("/", () => {
    throw thrown;
  });
  app.onError(onError);
  return Promise.resolve(app.request("/"));
}

describe("a transient platform failure", () => {
  it("marked overloaded is 503 unavailable with Retry-After: 5", async () => {
    const res = await answerTo(Object.assign(new Error("Durable Object is overloaded"), { overloaded: true }));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 503, code: "unavailable", title: "Temporarily unavailable" });
    expect(body.retryAfterSeconds).toBe(5); // for clients that read only the body (the CLI's watch)
    expect(String(body.detail)).toMatch(/overloaded/);
  });

  it("marked retryable is 503 unavailable with Retry-After: 1, saying a write may have taken effect", async () => {
    const res = await answerTo(Object.assign(new Error("Network connection lost."), { retryable: true }));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.code).toBe("unavailable");
    expect(body.retryAfterSeconds).toBe(1);
    expect(String(body.detail)).toMatch(/Idempotency-Key/);
  });

  it("unmarked, or marked false, is still a 500 internal without Retry-After", async () => {
    for (const thrown of [new Error("a bug"), Object.assign(new Error("x"), { retryable: false, overloaded: "yes" })]) {
      const res = await answerTo(thrown);
      expect(res.status).toBe(500);
      expect(res.headers.get("retry-after")).toBeNull();
      expect(((await res.json()) as { code: string }).code).toBe("internal");
    }
  });
});
