// The OpenAPI document states the rules its request bodies' refinements enforce, which JSON Schema alone cannot:
// each `.refine` message joins the description of the node it guards, and PATCH …/lessons/{id}'s "name at least one
// field" is `minProperties: 1` on its strict object. The document took `{}` for a lesson's patch, `starvation` in an
// experiment arm's weights, a failure reported to testing and a report's baseTokens over its tokensIn — each refused
// 400 by its route.
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/worker/openapi.ts";

type Node = { description?: string; minProperties?: number; properties?: Record<string, Node> };
const paths = (openApiDocument() as { paths: Record<string, Record<string, Record<string, unknown>>> }).paths;
const R = "/api/v1/products/{productId}";

function bodyOf(method: string, path: string): Node {
  const op = paths[`${R}${path}`]?.[method] as { requestBody: { content: Record<string, { schema: Node }> } };
  return op.requestBody.content["application/json"]!.schema;
}

describe("the document states what the request bodies' refinements refuse", () => {
  it("a lesson's patch names at least one field", () => {
    const patch = bodyOf("patch", "/lessons/{lessonId}");
    expect(patch.minProperties).toBe(1);
    expect(patch.description).toContain("name at least one of text");
  });

  it("an experiment arm sets no starvation weight", () => {
    const arms = bodyOf("post", "/routing/experiments").properties!.arms!.properties!;
    // Refused by the schema itself (`not: {}`), not only described: a generated client's validator refuses it too.
    for (const arm of ["A", "B"]) {
      const starvation = arms[arm]!.properties!.weights!.properties!.starvation as Node & { not?: unknown };
      expect(starvation.not).toEqual({});
      expect(starvation.description).toContain("cannot set starvation");
    }
  });

  it("a report's result fits its stage, and a webhook's URL is https (or loopback http)", () => {
    expect(bodyOf("patch", "/jobs/{jobId}").description).toContain("a report to review or testing carries a success");
    const url = bodyOf("put", "/webhook").properties!.url!.description!;
    expect(url).toMatch(/^at most 2048 bytes of UTF-8; an https URL/);
  });

  it("a report's insights hold baseTokens within tokensIn, and say what it is", () => {
    const insights = bodyOf("patch", "/jobs/{jobId}").properties!.insights!;
    expect(insights.description).toContain("baseTokens is part of tokensIn: at most tokensIn");
    expect(insights.properties!.baseTokens!.description).toContain("a resumed run's earlier engines' tokens");
  });
});
