// The JSON Schema validator the workerd conformance tests check answers with (test/integration/openapi-json-schema)
// finds what is wrong and passes what is right, so a green conformance walk means the answers fit the served
// document: each keyword the document uses is enforced (type, integer, required, enum, const, pattern, bounds, items,
// anyOf, oneOf, not, additionalProperties, propertyNames, min/maxProperties, local $ref), lengths count characters as
// JSON Schema does, and a keyword it does not know is an error rather than silently passed. Against the real
// document: the liveness answer passes its component and fails it with a field of the wrong type.
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/worker/openapi.ts";
import { schemaFaults } from "../integration/openapi-json-schema.ts";

const root = { components: { schemas: { Id: { type: "string", pattern: "^job_[a-z0-9]+$" } } } };
const faults = (schema: Record<string, unknown>, value: unknown) => schemaFaults(schema, value, root);

describe("the conformance tests' JSON Schema validator", () => {
  it("enforces each keyword the document uses", () => {
    const obj = {
      type: "object",
      required: ["id", "n"],
      properties: { id: { $ref: "#/components/schemas/Id" }, n: { type: "integer", minimum: 0, maximum: 9 } },
    };
    expect(faults(obj, { id: "job_1", n: 3, extra: true })).toEqual([]);
    expect(faults(obj, { id: "job_1" })).toEqual(["$.n: required, missing"]);
    expect(faults(obj, { id: "JOB", n: 1.5 })).toHaveLength(2);
    expect(faults(obj, { id: "job_1", n: 10 })).toEqual(["$.n: 10 > maximum 9"]);
    expect(faults({ ...obj, additionalProperties: false }, { id: "job_1", n: 1, x: 1 })).toHaveLength(1);
    expect(faults({ type: "object", propertyNames: { pattern: "^a" } }, { b: 1 })).toHaveLength(1);
    expect(faults({ type: "object", minProperties: 1 }, {})).toEqual(["$: fewer than 1 properties"]);
    expect(faults({ type: "object", maxProperties: 1 }, { a: 1, b: 2 })).toHaveLength(1);
    expect(faults({ enum: ["a", "b"] }, "c")).toHaveLength(1);
    expect(faults({ const: 1 }, 1)).toEqual([]);
    expect(faults({ anyOf: [{ type: "string" }, { type: "null" }] }, null)).toEqual([]);
    expect(faults({ anyOf: [{ type: "string" }, { type: "null" }] }, 1)).toHaveLength(1);
    expect(faults({ oneOf: [{ type: "number" }, { type: "integer" }] }, 1)).toHaveLength(1);
    expect(faults({ not: { type: "string" } }, "s")).toHaveLength(1);
    const arr = { type: "array", prefixItems: [{ type: "string" }], items: { type: "number" }, maxItems: 3 };
    expect(faults(arr, ["a", 1, 2])).toEqual([]);
    expect(faults(arr, [1, "a", 2, 3])).toHaveLength(3);
    expect(faults({ type: "string", maxLength: 1 }, "😀")).toEqual([]); // one character, two UTF-16 units
    expect(faults({ type: "number" }, Number.NaN)).toHaveLength(1);
  });

  it("throws on a keyword it does not know, and on a $ref that does not resolve", () => {
    expect(() => faults({ if: { type: "string" } }, "a")).toThrow(/unknown keyword if/);
    expect(() => faults({ $ref: "#/components/schemas/Nope" }, "a")).toThrow(/does not resolve/);
  });

  it("checks a real answer against the real document's component", () => {
    const doc = openApiDocument() as { components: { schemas: Record<string, Record<string, unknown>> } };
    const liveness = doc.components.schemas.Liveness!;
    const good = { status: "healthy", d1: "ok", at: "2026-01-01T00:00:00.000Z" };
    expect(schemaFaults(liveness, good, doc)).toEqual([]);
    expect(schemaFaults(liveness, { ...good, d1: "gone" }, doc)).toHaveLength(1);
    expect(schemaFaults(liveness, { status: "healthy", at: 1 }, doc)).toEqual([
      "$.d1: required, missing",
      "$.at: 1 is not string",
    ]);
  });
});
