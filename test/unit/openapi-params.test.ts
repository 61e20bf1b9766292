// The OpenAPI document's query parameters keep what their validators enforce (worker/openapi-params): a `queryInt`
// limit is documented as an integer with its bounds and default, not a bare digits pattern a client could fill with
// 501, and a byte-bounded text says its bound is in UTF-8 bytes (JSON Schema's maxLength counts characters).
import { describe, expect, it } from "vitest";
import { HistoryQuery } from "../../src/shared/api-history.ts";
import { LessonListQuery } from "../../src/shared/api-lessons.ts";
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
});
