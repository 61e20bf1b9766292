// The OpenAPI document describes every way a request may come and every answer's body it names: POST …/jobs takes
// JSON ({manifest, bodyMd?} or {markdown}), text/markdown and text/plain, and an Idempotency-Key of up to 800 bytes
// (the manifest key's limit); jobs:batch and …/children take one of up to 128; the SSE feed reads Last-Event-ID; the
// sockets answer 101, never 200; replays carry `idempotent-replayed`; every JSON answer names its schema (the metrics
// also come as Prometheus text), a record keeps the schema of its values, and every `$ref` resolves to a component.
import { describe, expect, it } from "vitest";
import { MAX_CHILDREN_PER_PARENT, MAX_CHILDREN_PER_REQUEST } from "../../src/core/composite.ts";
import { openApiDocument } from "../../src/worker/openapi.ts";

type Param = { name: string; in: string; schema: { maxLength?: number; pattern?: string } };
type Operation = {
  parameters: Param[];
  requestBody?: { content: Record<string, { schema?: { anyOf?: Array<{ required?: string[] }> } }> };
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, unknown> }>;
};
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

const doc = openApiDocument() as Doc;
const P = "/api/v1/products/{productId}";
const op = (method: string, path: string): Operation => {
  const found = doc.paths[path]?.[method];
  if (!found) throw new Error(`no ${method} ${path}`);
  return found;
};
const header = (o: Operation, name: string) => o.parameters.find((p) => p.in === "header" && p.name === name);

describe("the OpenAPI document's requests", () => {
  it("POST …/jobs takes JSON in two forms, markdown and plain text", () => {
    const submit = op("post", `${P}/jobs`);
    const content = submit.requestBody?.content ?? {};
    expect(Object.keys(content).sort()).toEqual(["application/json", "text/markdown", "text/plain"]);
    const forms = content["application/json"]?.schema?.anyOf?.map((f) => f.required);
    expect(forms).toEqual([["manifest"], ["markdown"]]);
  });

  it("POST …/jobs takes an Idempotency-Key of up to 800 bytes, the manifest key's limit", () => {
    expect(header(op("post", `${P}/jobs`), "Idempotency-Key")?.schema.maxLength).toBe(800);
  });

  it("jobs:batch and …/children take an Idempotency-Key of up to 128 bytes", () => {
    for (const path of [`${P}/jobs:batch`, `${P}/jobs/{jobId}/children`]) {
      expect(header(op("post", path), "Idempotency-Key")?.schema.maxLength, path).toBe(128);
    }
  });

  // The batch's wording said "(its own idempotencyKey wins)" here too, but a child's idempotencyKey is refused (400).
  it("…/children's Idempotency-Key says how each child is keyed, and that a child has no key of its own", () => {
    const described = header(op("post", `${P}/jobs/{jobId}/children`), "Idempotency-Key") as Param & {
      description?: string;
    };
    expect(described.description).toContain("`children:<parent>:<key>:<i>`");
    expect(described.description).not.toContain("its own idempotencyKey wins");
  });

  // The text gave the per-request limits only: a client could not learn the 2000-per-parent cap (a 400) nor
  // that a parent that started is a 409, from the document. (Its description: the summary is one short line.)
  it("…/children states every limit it enforces and the 409 for a parent that started", () => {
    const summary =
      (op("post", `${P}/jobs/{jobId}/children`) as Operation & { description?: string }).description ?? "";
    expect(summary).toContain(`${MAX_CHILDREN_PER_REQUEST} children`);
    expect(summary).toContain(`${MAX_CHILDREN_PER_PARENT} per parent`);
    expect(summary).toContain("409 `illegal_transition`");
  });

  it("the SSE feed reads Last-Event-ID, a seq in decimal digits", () => {
    expect(header(op("get", `${P}/jobs/{jobId}/events/stream`), "Last-Event-ID")?.schema.pattern).toBe("^\\d{1,16}$");
  });
});

describe("the OpenAPI document's answers", () => {
  it("the sockets answer 101 Switching Protocols, with no 200", () => {
    for (const path of [`${P}/jobs/{jobId}/events/ws`, `${P}/factories/connect`]) {
      expect(Object.keys(op("get", path).responses).sort(), path).toEqual(["101", "4XX", "5XX"]);
    }
  });

  it("the claim answers 200 with a Claim or 204 with no body; jobs:batch answers 202", () => {
    const claim = op("post", `${P}/claim`).responses;
    expect(claim["200"]?.content).toEqual({ "application/json": { schema: { $ref: "#/components/schemas/Claim" } } });
    expect(claim["204"]?.content).toBeUndefined();
    expect(Object.keys(op("post", `${P}/jobs:batch`).responses)).toEqual(["202", "4XX", "5XX"]);
  });

  it("a replay under an idempotency key is a 200 with idempotent-replayed: true", () => {
    for (const path of [`${P}/jobs`, `${P}/jobs/{jobId}/children`]) {
      const responses = op("post", path).responses;
      expect(responses["201"]?.headers, path).toBeUndefined();
      expect(responses["200"]?.headers, path).toHaveProperty("idempotent-replayed");
    }
  });

  it("every operation declares a success status", () => {
    const none = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, o]) => !Object.keys(o.responses).some((s) => /^[12]\d\d$/.test(s)))
        .map(([m]) => `${m} ${path}`),
    );
    expect(none).toEqual([]);
  });

  it("every $ref names a component, and the components hold the answers' bodies", () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter((r) => !(r in doc.components.schemas))).toEqual([]);
    for (const id of ["JobView", "JobPage", "Factory", "FactoryList", "Settings", "BudgetView", "Claim"]) {
      expect(doc.components.schemas, id).toHaveProperty(id);
    }
    for (const id of ["BatchAccepted", "BatchView", "ChildrenAnswer", "WaitingReason"]) {
      expect(doc.components.schemas, id).toHaveProperty(id);
    }
  });

  it("answers are open objects: a field added later breaks no client validating against the document", () => {
    expect(JSON.stringify(doc.components.schemas)).not.toContain('"additionalProperties":false');
  });

  it("a record keeps the schema of its values: stats counts by stage are integers, evidence numbers", () => {
    type Obj = { properties: Record<string, { additionalProperties?: { type?: string } }> };
    const schemas = doc.components.schemas as Record<string, Obj>;
    expect(schemas.Stats?.properties.counts?.additionalProperties?.type).toBe("integer");
    expect(schemas.Recommendation?.properties.evidence?.additionalProperties?.type).toBe("number");
  });

  it("every JSON answer names its schema, a component", () => {
    const bare = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, o]) =>
        Object.entries(o.responses)
          .filter(([status]) => /^[12]\d\d$/.test(status))
          .filter(([, r]) => {
            const json = r.content?.["application/json"] as { schema?: { $ref?: string } } | undefined;
            return json !== undefined && !json.schema?.$ref?.startsWith("#/components/schemas/");
          })
          .map(([status]) => `${method} ${path} ${status}`),
      ),
    );
    expect(bare).toEqual([]);
    expect(op("get", `${P}/metrics`).responses["200"]?.content).toEqual({
      "application/json": { schema: { $ref: "#/components/schemas/Metrics" } },
      "text/plain; version=0.0.4": {},
    });
  });
});
