// The README names the request-header byte limits the Worker enforces (worker/header-limits HEADER_MAX_BYTES): the
// same headers with the same limits as the OpenAPI document's `info.description`, the 400's detail as the middleware
// words it, the bearer token's and the Authorization header's limits (worker/bearer-token) and Accept's (routes/metrics). Pass 36 listed them in the
// document alone: a newcomer reading the README met a 400 naming `Origin` on /health with nothing to explain it.
import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../src/worker/auth.ts";
import { AUTHORIZATION_MAX_BYTES, BEARER_TOKEN_MAX_BYTES } from "../../src/worker/bearer-token.ts";
import { HEADER_MAX_BYTES, headerLimits } from "../../src/worker/header-limits.ts";
import { openApiDocument } from "../../src/worker/openapi.ts";
import { onError } from "../../src/worker/problem.ts";
import { ACCEPT_MAX_BYTES } from "../../src/worker/routes/metrics.ts";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const paragraph = (README.split(/\n\n/).find((p) => p.startsWith("Request headers are bounded")) ?? "").replace(
  /\s+/g,
  " ",
);

/** Each `Name` of a clause ("`A`, `B` and `C` at most N"), by its clause's limit. */
function limitsIn(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const clause of text.split(/;|: /)) {
    const max = /at most (\d+)/.exec(clause)?.[1];
    if (max === undefined) continue;
    for (const [, name] of clause.matchAll(/`([A-Za-z-]+)`/g)) out[name as string] = Number(max);
  }
  return out;
}

describe("the README's API section", () => {
  it("names every bounded header with its limit, and none besides", () => {
    expect(paragraph).not.toBe("");
    expect(limitsIn(paragraph.split(". One over")[0] ?? "")).toEqual(HEADER_MAX_BYTES);
  });

  it("lists the same limits as the OpenAPI document's info.description", () => {
    const { description } = (openApiDocument() as { info: { description: string } }).info;
    const documented = Object.fromEntries(
      [...description.matchAll(/`([A-Za-z-]+)` (\d+)/g)].map(([, name, max]) => [name, Number(max)]),
    );
    expect(documented).toEqual(HEADER_MAX_BYTES);
    expect(limitsIn(paragraph.split(". One over")[0] ?? "")).toEqual(documented);
  });

  it("quotes the 400's detail as the middleware words it", async () => {
    const app = new Hono<AppEnv>();
    app.use(headerLimits);
    app.get("/", (c) => c.text("ok"));
    app.onError(onError);
    const res = await app.request("/", { headers: { origin: `https://${"a".repeat(HEADER_MAX_BYTES.Origin ?? 0)}` } });
    const { code, detail } = (await res.json()) as { code: string; detail: string };
    expect([res.status, code]).toEqual([400, "validation_failed"]);
    expect(paragraph).toContain(`(\`${detail}\`)`);
  });

  it("says the bearer token's limit and Accept's", () => {
    expect(paragraph).toContain(
      `a bearer token over ${BEARER_TOKEN_MAX_BYTES} bytes, or an \`Authorization\` header over ${AUTHORIZATION_MAX_BYTES}, is a 401`,
    );
    expect(paragraph).toContain(`an \`Accept\` over ${ACCEPT_MAX_BYTES} bytes is disregarded`);
  });
});
