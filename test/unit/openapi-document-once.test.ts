// The OpenAPI document is built once per isolate, not on every GET /api/v1/openapi.json: building it (zod's JSON
// Schema of every operation) cost ~20 ms of CPU on an unauthenticated request — twice a Workers Free request's limit.
// Every call answers the same frozen object, so no reader can change what later requests are served, and the text
// the route answers is that object's JSON.
import { describe, expect, it } from "vitest";
import { openApiDocument, openApiJson } from "../../src/worker/openapi.ts";

describe("the OpenAPI document, built once", () => {
  it("answers the same object on every call, frozen all the way down", () => {
    const doc = openApiDocument();
    expect(openApiDocument()).toBe(doc);
    const paths = doc.paths as Record<string, Record<string, { responses: object }>>;
    const op = paths["/api/v1/health"]?.get;
    for (const node of [doc, paths, op, op?.responses]) expect(Object.isFrozen(node)).toBe(true);
    expect(() => {
      (doc as Record<string, unknown>).openapi = "2.0";
    }).toThrow(TypeError);
  });

  it("serves the document's own JSON text, the same text every time", () => {
    expect(openApiJson()).toBe(JSON.stringify(openApiDocument()));
    expect(JSON.parse(openApiJson())).toEqual(openApiDocument());
  });
});
