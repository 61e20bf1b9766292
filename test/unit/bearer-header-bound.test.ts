// The Authorization header is bounded as a whole before it is read (worker/bearer-token AUTHORIZATION_MAX_BYTES), not
// only the token in it: "Bearer", 100 KB of spaces and a valid token was matched whole and let in. Over the bound it is
// the 401 any unreadable credential gets (not a 400: a stranger learns nothing of the header), at the bound it is
// read, and a token over BEARER_TOKEN_MAX_BYTES is still refused inside a header under the bound. The OpenAPI
// document's bearer scheme names both limits.
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { AUTHORIZATION_MAX_BYTES, BEARER_TOKEN_MAX_BYTES, bearerToken } from "../../src/worker/bearer-token.ts";
import { openApiDocument } from "../../src/worker/openapi.ts";
import { onError } from "../../src/worker/problem.ts";

const TOKEN = "gf_demo_0123456789abcdef";

function answerTo(authorization: string): Promise<Response> {
  const app = new Hono();
  app.get("/", (c) => c.text(bearerToken(c)));
  app.onError(onError);
  return Promise.resolve(app.request("/", { headers: { authorization } }));
}

describe("an Authorization header", () => {
  it("over its bound is 401, however valid the token in it", async () => {
    const header = `Bearer${" ".repeat(AUTHORIZATION_MAX_BYTES)}${TOKEN}`;
    const res = await answerTo(header);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe("unauthorized");
  });

  it("at its bound is read", async () => {
    const spaces = AUTHORIZATION_MAX_BYTES - "Bearer".length - TOKEN.length;
    const res = await answerTo(`Bearer${" ".repeat(spaces)}${TOKEN}`);
    expect([res.status, await res.text()]).toEqual([200, TOKEN]);
  });

  it("counted in bytes of UTF-8: é is two", async () => {
    const token = "é".repeat(BEARER_TOKEN_MAX_BYTES / 2);
    const under = `Bearer ${token}`;
    expect((await answerTo(under)).status).toBe(200);
    const spaces = AUTHORIZATION_MAX_BYTES - "Bearer".length - BEARER_TOKEN_MAX_BYTES + 1;
    expect((await answerTo(`Bearer${" ".repeat(spaces)}${token}`)).status).toBe(401);
  });

  it("under its bound still refuses a token over the token's own limit", async () => {
    expect((await answerTo(`Bearer ${"t".repeat(BEARER_TOKEN_MAX_BYTES + 1)}`)).status).toBe(401);
    expect((await answerTo(`Bearer ${"t".repeat(BEARER_TOKEN_MAX_BYTES)}`)).status).toBe(200);
  });
});

describe("the OpenAPI document's bearer scheme", () => {
  it("names the token's limit and the header's", () => {
    const doc = openApiDocument() as { components: { securitySchemes: { bearer: { description?: string } } } };
    const said = doc.components.securitySchemes.bearer.description ?? "";
    expect(said).toContain(`a token over ${BEARER_TOKEN_MAX_BYTES} bytes of UTF-8`);
    expect(said).toContain(`the header over ${AUTHORIZATION_MAX_BYTES}, is 401 unauthorized`);
  });
});
