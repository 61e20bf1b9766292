// The OpenAPI document's query parameters keep what their validators enforce (worker/openapi-params): a `queryInt`
// limit is documented as an integer with its bounds and default, not a bare digits pattern a client could fill with
// 501, and a byte-bounded text says its bound is in UTF-8 bytes (JSON Schema's maxLength counts characters) — every
// bounded string of every operation's parameters and request bodies, not one chosen query (the dead letter id of
// POST …/redrive read "maxLength 512, the dead letter's id, as listed": 512 characters, where 512 bytes is the rule).
import { describe, expect, it } from "vitest";
import { HistoryQuery } from "../../src/shared/api-history.ts";
import { LessonListQuery } from "../../src/shared/api-lessons.ts";
import { openApiDocument } from "../../src/worker/openapi.ts";
import { queryParameters } from "../../src/worker/openapi-params.ts";

const byName = (params: Array<Record<string, unknown>>) => Object.fromEntries(params.map((p) => [p.name, p]));

describe("query parameters from their validators", () => {
  it("a queryInt limit is an integer with its bounds and default", () => {
    const { limit } = byName(queryParameters(HistoryQuery));
    expect(limit).toMatchObject({
      in: "query",
      required: false,
      schema: { type: "integer", minimum: 1, maximum: 500, default: 100 },
    });
  });

  it("a byte-bounded text says its bound is in bytes of UTF-8", () => {
    const { q } = byName(queryParameters(LessonListQuery));
    expect(q).toMatchObject({ schema: { type: "string", description: expect.stringMatching(/bytes of UTF-8/) } });
  });

  it("every bounded string of every operation's parameters and bodies says its bound in bytes of UTF-8", () => {
    const unsaid: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) {
        for (const [i, n] of node.entries()) walk(n, `${where}[${i}]`);
        return;
      }
      if (node === null || typeof node !== "object") return;
      const s = node as Record<string, unknown>;
      if (
        s.type === "string" &&
        typeof s.maxLength === "number" &&
        !/bytes of UTF-8|UTF-8 bytes/.test(String(s.description))
      )
        unsaid.push(`${where} (maxLength ${s.maxLength}, described ${JSON.stringify(s.description)})`);
      for (const [k, v] of Object.entries(s)) walk(v, `${where}.${k}`);
    };
    const paths = (openApiDocument() as { paths: Record<string, Record<string, Record<string, unknown>>> }).paths;
    for (const [path, ops] of Object.entries(paths))
      for (const [method, op] of Object.entries(ops)) {
        walk(op.parameters, `${method} ${path} parameters`);
        walk(op.requestBody, `${method} ${path} body`);
      }
    expect(unsaid).toEqual([]);
  });
});
