// The JSON Schema validation the workerd conformance tests check answers with (test/integration/openapi-json-schema,
// @cfworker/json-schema under it) finds what is wrong and passes what is right, so a green conformance walk means the
// answers fit the served document: each keyword the document uses is enforced (type, integer, required, enum, const,
// pattern, bounds, items, anyOf, oneOf, not, additionalProperties, propertyNames, min/maxProperties, local $ref into
// the document's components, format uri), lengths count characters as JSON Schema does, a value is checked as JSON
// carries it, and a keyword the library would ignore is an error rather than silently passed. Each fault is one line
// naming where in the value and in the schema. Against the real document: the liveness answer passes its component
// and fails it with a field of the wrong type; the frozen document the Worker builds is read, not marked.
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/worker/openapi.ts";
import { schemaFaults } from "../integration/openapi-json-schema.ts";

const root = {
  components: {
    schemas: {
      Id: { type: "string", pattern: "^job_[a-z0-9]+$" },
      Ids: { type: "array", items: { $ref: "#/components/schemas/Id" } },
    },
  },
};
const faults = (schema: Record<string, unknown>, value: unknown) => schemaFaults(schema, value, root);

describe("the conformance tests' JSON Schema validation", () => {
  it("enforces each keyword the document uses, one line per fault", () => {
    const obj = {
      type: "object",
      required: ["id", "n"],
      properties: { id: { $ref: "#/components/schemas/Id" }, n: { type: "integer", minimum: 0, maximum: 9 } },
    };
    expect(faults(obj, { id: "job_1", n: 3, extra: true })).toEqual([]);
    expect(faults(obj, { id: "job_1" })).toEqual(['#: Instance does not have required property "n". (#/required)']);
    expect(faults(obj, { id: "JOB", n: 1.5 })).toEqual([
      '#/id: String does not match pattern. got "JOB" (#/properties/id/$ref/pattern)',
      '#/n: Instance type "number" is invalid. Expected "integer". got 1.5 (#/properties/n/type)',
    ]);
    expect(faults(obj, { id: "job_1", n: 10 })).toEqual(["#/n: 10 is greater than 9. got 10 (#/properties/n/maximum)"]);
    expect(faults({ ...obj, additionalProperties: false }, { id: "job_1", n: 1, x: 1 })).toEqual([
      '#: Property "x" does not match additional properties schema. (#/additionalProperties)',
    ]);
    expect(faults({ type: "object", propertyNames: { pattern: "^a" } }, { b: 1 })).toEqual([
      "#/b: String does not match pattern. (#/propertyNames/pattern)",
    ]);
    expect(faults({ type: "object", minProperties: 1 }, {})).toHaveLength(1);
    expect(faults({ type: "object", maxProperties: 1 }, { a: 1, b: 2 })).toHaveLength(1);
    expect(faults({ enum: ["a", "b"] }, "c")).toHaveLength(1);
    expect(faults({ const: 1 }, 1)).toEqual([]);
    expect(faults({ const: 1 }, 2)).toHaveLength(1);
    expect(faults({ anyOf: [{ type: "string" }, { type: "null" }] }, null)).toEqual([]);
    // An anyOf that fails is one line, with the first fault of each alternative.
    expect(faults({ anyOf: [{ $ref: "#/components/schemas/Id" }, { type: "null" }] }, "x")).toEqual([
      '#: Instance does not match any subschemas. [#: String does not match pattern. | #: Instance type "string" is ' +
        'invalid. Expected "null".] got "x" (#/anyOf)',
    ]);
    // A component's $ref to another component resolves too.
    expect(faults({ $ref: "#/components/schemas/Ids" }, ["job_1", "x"])).toEqual([
      '#/1: String does not match pattern. got "x" (#/$ref/items/$ref/pattern)',
    ]);
    expect(faults({ oneOf: [{ type: "number" }, { type: "integer" }] }, 1)).toHaveLength(1);
    expect(faults({ not: { type: "string" } }, "s")).toHaveLength(1);
    const arr = { type: "array", prefixItems: [{ type: "string" }], items: { type: "number" }, maxItems: 3 };
    expect(faults(arr, ["a", 1, 2])).toEqual([]);
    expect(faults(arr, [1, "a", 2, 3])).toHaveLength(3);
    expect(faults({ type: "string", maxLength: 1 }, "😀")).toEqual([]); // one character, two UTF-16 units
    expect(faults({ type: "string", format: "uri" }, "not a uri")).toHaveLength(1);
    // NaN is not JSON: a Worker that serialized it would send null.
    expect(faults({ type: "number" }, Number.NaN)).toEqual([
      '#: Instance type "null" is invalid. Expected "number". got null (#/type)',
    ]);
    expect(faults({ type: "number" }, undefined)).toHaveLength(1);
  });

  it("throws on a keyword the library would ignore, and on a $ref that does not resolve", () => {
    expect(() => faults({ $dynamicRef: "#meta" }, "a")).toThrow(/unknown keyword \$dynamicRef at #/);
    expect(() => faults({ properties: { a: { nullable: true } } }, {})).toThrow(
      /unknown keyword nullable at #\/properties\/a/,
    );
    const odd = { components: { schemas: { Odd: { type: "string", discriminator: {} } } } };
    expect(() => schemaFaults({ type: "string" }, "a", odd)).toThrow(/discriminator at #\/components\/schemas\/Odd/);
    expect(() => faults({ $ref: "#/components/schemas/Nope" }, "a")).toThrow(
      /^json-schema: \$ref .*Nope does not resolve$/,
    );
  });

  it("checks a real answer against the real document's component", () => {
    const doc = openApiDocument() as { components: { schemas: Record<string, Record<string, unknown>> } };
    const liveness = doc.components.schemas.Liveness!;
    const good = { status: "healthy", d1: "ok", at: "2026-01-01T00:00:00.000Z" };
    expect(schemaFaults(liveness, good, doc)).toEqual([]);
    expect(schemaFaults(liveness, { ...good, d1: "gone" }, doc)).toHaveLength(1);
    expect(schemaFaults(liveness, { status: "healthy", at: 1 }, doc)).toEqual([
      '#: Instance does not have required property "d1". (#/required)',
      '#/at: Instance type "number" is invalid. Expected "string". got 1 (#/properties/at/type)',
    ]);
    expect(Object.getOwnPropertyNames(liveness)).not.toContain("__absolute_uri__");
  });
});
