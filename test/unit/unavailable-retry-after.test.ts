// Every 503 `unavailable` the Worker answers says when to come back, as a `Retry-After` header and as the problem's
// `retryAfterSeconds` (worker/problem `problemResponse`): a job's feed behind its held events (outbox/shipper
// `feedBehind`) put its 1 s in the body alone, and a refused queue's, R2's or D1's 503 named no wait at all, where
// the OpenAPI document said "Retry-After (when sent)". An error's own wait wins (the watcher cap's 429: 5 s, sent
// once); no other refusal gains one. The document names the header on every 5XX answer and every 4XX (a 429 with a
// wait: the watcher cap's carried it undeclared).
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/core/errors.ts";
import { feedBehind } from "../../src/durable-objects/coordinator/outbox/shipper.ts";
import { openApiDocument } from "../../src/worker/openapi.ts";
import { onError, UNAVAILABLE_RETRY_AFTER_S } from "../../src/worker/problem.ts";

function answerTo(thrown: unknown) {
  const app = new Hono();
  app.get("/", () => {
    throw thrown;
  });
  app.onError(onError);
  return Promise.resolve(app.request("/"));
}

describe("a 503 unavailable", () => {
  it("of a job's feed behind its held events carries Retry-After: 1, as its body says", async () => {
    const res = await answerTo(feedBehind("j1"));
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({ code: "unavailable", retryAfterSeconds: 1 });
  });

  it("naming no wait of its own (a queue, R2 or D1 refused) carries the default in the header and the body", async () => {
    const res = await answerTo(new DomainError("unavailable", "the history (D1) could not be read just now"));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe(String(UNAVAILABLE_RETRY_AFTER_S));
    expect(await res.json()).toMatchObject({ code: "unavailable", retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_S });
  });

  it("with a fractional wait says whole seconds, rounded up", async () => {
    const res = await answerTo(new DomainError("unavailable", "later", { retryAfterSeconds: 2.2 }));
    expect(res.headers.get("retry-after")).toBe("3");
  });
});

describe("other refusals", () => {
  it("a 429 with its own wait says it once, header and body", async () => {
    const res = await answerTo(new DomainError("limit_exceeded", "at the cap", { retryAfterSeconds: 5 }));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(((await res.json()) as { retryAfterSeconds: number }).retryAfterSeconds).toBe(5);
  });

  it("with no wait of their own gain none", async () => {
    for (const err of [
      new DomainError("limit_exceeded", "1,000 codes live"),
      new DomainError("not_found", "no such job"),
      new DomainError("conflict", "taken"),
    ]) {
      const res = await answerTo(err);
      expect(res.headers.get("retry-after"), err.code).toBeNull();
      expect((await res.json()) as object, err.code).not.toHaveProperty("retryAfterSeconds");
    }
  });
});

describe("the OpenAPI document", () => {
  it("names Retry-After on every operation's 5XX answer, and its 4XX (a 429 with a wait)", () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p));
    expect(ops.length).toBeGreaterThan(50);
    for (const op of ops) {
      const said = (range: string) =>
        (op.responses[range] as { headers?: Record<string, { description: string }> }).headers?.["retry-after"];
      expect(said("5XX")?.description).toMatch(/^On a 503, always: seconds to wait/);
      expect(said("4XX")?.description).toMatch(/^On a 429 that says when: seconds to wait/);
    }
  });
});
