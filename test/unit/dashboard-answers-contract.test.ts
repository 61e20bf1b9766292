// Every shape the dashboard checks an answer against (dashboard/answers.js) agrees with the OpenAPI document's answer
// of each operation it reads: each field a shape requires is one the document requires, of the same type (a number
// the document may send as null is read as one that may be null), and each field a shape lets be missing is one the
// document names — so no check refuses an answer the coordinator gives, and a typo in a field name is caught here,
// not by an operator's "had no `jbos` list". Each shape is used by some operation listed here; the settings form's
// number boxes are exactly the numbers the settings shape requires.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import * as A from "../../dashboard/answers.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { FIELDS } from "../../dashboard/settings-fields.js";
import { openApiDocument } from "../../src/worker/openapi.ts";

/** The parts of a JSON schema (OpenAPI 3.1) the comparison reads. */
type Schema = {
  $ref?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
  type?: string | string[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  prefixItems?: Schema[];
};
type Operation = { responses: Record<string, { content?: Record<string, { schema: Schema }> }> };
const DOC = openApiDocument() as unknown as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

/** A dashboard shape (dashboard/answer-shape.js): a type name, a list of, an object of fields, or a wrapper. */
type Shape = string | Shape[] | Wrapped | { [field: string]: Shape };
type Wrapped = { kind: string; of: Shape | Shape[] | (() => Shape) };

/** Which answer each shape checks: method, path under the product, shape. */
const USES: Array<[string, string, Shape]> = [
  ["get", "/jobs", A.JOB_PAGE],
  ["get", "/jobs/{jobId}", A.JOB],
  ["get", "/jobs/{jobId}", A.ANCESTOR],
  ["post", "/jobs/{jobId}/actions/{action}", A.JOB_ACTED],
  ["get", "/jobs/{jobId}/runs", A.RUNS],
  ["get", "/jobs/{jobId}/artifacts", A.ARTIFACTS],
  ["get", "/jobs/{jobId}/explain", A.EXPLAIN],
  ["get", "/jobs/{jobId}/tree", A.TREE],
  ["get", "/jobs/{jobId}/reviews", A.REVIEWS],
  ["post", "/jobs/{jobId}/reviews", A.REVIEWED],
  ["post", "/jobs/{jobId}/events/ticket", A.TICKET],
  ["get", "/budget", A.BUDGET],
  ["put", "/budget", A.BUDGET],
  ["post", "/budget/pause", A.BUDGET_ACTED],
  ["post", "/budget/resume", A.BUDGET_ACTED],
  ["get", "/settings", A.SETTINGS],
  ["patch", "/settings", A.SETTINGS],
  ["get", "/settings", A.FROZEN_KEYS],
  ["get", "/lessons", A.LESSON_PAGE],
  ["post", "/lessons", A.LESSON_ADDED],
  ["patch", "/lessons/{lessonId}", A.CHANGED],
  ["post", "/serial/{key}/freeze", A.CHANGED],
  ["post", "/serial/{key}/unfreeze", A.CHANGED],
  ["post", "/routing/experiments/{experimentId}/stop", A.CHANGED],
  ["get", "/routing/recommendations", A.RECOMMENDATIONS],
  ["get", "/routing/rules", A.RULES],
  ["get", "/routing/experiments", A.EXPERIMENTS],
  ["get", "/routing/track-records", A.TRACK_RECORDS],
  ["get", "/alerts", A.ALERT_PAGE],
  ["get", "/health", A.HEALTH],
  ["get", "/metrics", A.METRICS],
  ["get", "/serial", A.SERIAL_PAGE],
  ["get", "/factories/enrollment-codes", A.CODES],
  ["post", "/factories/enrollment-codes", A.CODE_MINTED],
  ["delete", "/factories/enrollment-codes/{codeId}", A.CODE_REVOKED],
  ["get", "/queue-state", A.QUEUE_STATE],
  ["get", "/stats", A.STATS],
  ["get", "/factories", A.FACTORIES],
  ["get", "/dead-letters", A.DEAD_LETTER_PAGE],
  ["post", "/dead-letters/{deadLetterId}/redrive", A.REDRIVEN],
  ["post", "/factories/{factoryId}/capabilities/approve", A.GRANTED],
  ["post", "/factories/{factoryId}/release", A.RELEASED],
  ["post", "/factories/{factoryId}/breakers/{engine}/reset", A.BREAKER_RESET],
];

const deref = (s: Schema): Schema => {
  let out = s;
  while (out.$ref) out = DOC.components.schemas[out.$ref.split("/").pop() ?? ""] ?? {};
  return out;
};

/** The schema's branches other than null, and whether it allows null. */
function branches(s: Schema): { of: Schema[]; nullable: boolean } {
  const d = deref(s);
  const list = d.anyOf ?? d.oneOf;
  if (list) {
    const parts = list.map(branches);
    return { of: parts.flatMap((p) => p.of), nullable: parts.some((p) => p.nullable) };
  }
  if (Array.isArray(d.type)) {
    const types = d.type.filter((t) => t !== "null");
    return { of: types.map((t) => ({ ...d, type: t })), nullable: types.length < d.type.length };
  }
  if (d.type === "null") return { of: [], nullable: true };
  return { of: [d], nullable: false };
}

/** A wrapper's kind ("opt", "maybe", "orNull", "either", "record", "lazy"), or "" for a plain shape. */
const kind = (shape: Shape): string =>
  typeof shape === "object" && !Array.isArray(shape) && typeof shape.kind === "string" && "of" in shape
    ? shape.kind
    : "";
const wrapped = (shape: Shape) => shape as Wrapped;

/** Why `shape` may refuse an answer `schema` allows (or names a field it does not have), at `at`. */
function disagree(shape: Shape, schema: Schema, at: string, seen: Set<[Shape, Schema]>): string[] {
  const k = kind(shape);
  if (k === "lazy") {
    // A shape that holds itself, against a schema that does (a tree's node): compared once.
    const inner = (wrapped(shape).of as () => Shape)();
    const target = deref(schema);
    if ([...seen].some(([a, b]) => a === inner && b === target)) return [];
    seen.add([inner, target]);
    return disagree(inner, schema, at, seen);
  }
  if (k === "opt" || k === "maybe" || k === "orNull") return disagree(wrapped(shape).of as Shape, schema, at, seen);
  const { of } = branches(schema);
  if (shape === "any") return [];
  if (k === "either")
    return of.flatMap((b) =>
      (wrapped(shape).of as Shape[]).some((s) => disagree(s, b, at, seen).length === 0)
        ? []
        : [`${at}: no choice takes ${b.type}`],
    );
  return of.flatMap((b) => {
    const type = b.type ?? (typeof b.const === "string" ? "string" : undefined);
    if (shape === "string") return type === "string" ? [] : [`${at}: text here, ${type} there`];
    if (shape === "number") return type === "number" || type === "integer" ? [] : [`${at}: number here, ${type} there`];
    if (shape === "boolean") return type === "boolean" ? [] : [`${at}: true/false here, ${type} there`];
    if (type !== (Array.isArray(shape) ? "array" : "object")) return [`${at}: ${type} there`];
    if (shape === "object") return [];
    if (Array.isArray(shape)) return disagree(shape[0] as Shape, b.prefixItems?.[0] ?? b.items ?? {}, `${at}[]`, seen);
    if (k === "record")
      return Object.entries(b.properties ?? {}).flatMap(([f, p]) =>
        disagree(wrapped(shape).of as Shape, p, `${at}.${f}`, seen),
      );
    return Object.entries(shape as Record<string, Shape>).flatMap(([field, fs]) => {
      const where = at ? `${at}.${field}` : field;
      const prop = b.properties?.[field];
      if (!prop) return [`${where}: not in the document`];
      const fk = kind(fs);
      const required = (b.required ?? []).includes(field);
      const problems: string[] = [];
      if (fk !== "opt" && fk !== "maybe" && !required) problems.push(`${where}: required here, may be missing there`);
      if (fk !== "maybe" && fk !== "orNull" && branches(prop).nullable) problems.push(`${where}: may be null there`);
      return [...problems, ...disagree(fs, prop, where, seen)];
    });
  });
}

/** The JSON schema of the 2xx answer of `method path`. */
function answerOf(method: string, path: string): Schema {
  const op = DOC.paths[`/api/v1/products/{productId}${path}`]?.[method];
  if (!op) throw new Error(`${method} ${path}: no such operation`);
  const ok = Object.entries(op.responses).find(([status]) => status.startsWith("2"));
  const schema = ok?.[1].content?.["application/json"]?.schema;
  if (!schema) throw new Error(`${method} ${path}: no JSON answer`);
  return schema;
}

describe("the dashboard's answer shapes", () => {
  it.each(
    USES.map(([m, p, s]) => [`${m.toUpperCase()} ${p}`, m, p, s] as const),
  )("%s: take every answer the document allows", (_name, method, path, shape) => {
    expect(disagree(shape, answerOf(method, path), "", new Set())).toEqual([]);
  });

  it("are each used by an operation listed here", () => {
    const used = new Set<unknown>(USES.map(([, , s]) => s));
    const unused = Object.entries(A as Record<string, unknown>)
      .filter(([, v]) => typeof v === "object" && !Array.isArray(v) && !used.has(v))
      .map(([name]) => name);
    expect(unused).toEqual([]);
  });

  it("require every number the settings form shows", () => {
    expect([...A.SETTINGS_NUMBERS].sort()).toEqual(FIELDS.map((f: { path: string }) => f.path).sort());
  });

  it("catch a disagreement: a field the document lets be missing, or names otherwise", () => {
    const runs = answerOf("get", "/jobs/{jobId}/runs");
    expect(disagree({ runs: [{ endedAt: "number" }] }, runs, "", new Set())).toEqual([
      "runs[].endedAt: required here, may be missing there",
    ]);
    expect(disagree({ runz: ["any"] }, runs, "", new Set())).toEqual(["runz: not in the document"]);
    expect(disagree({ runs: [{ attempt: "string" }] }, runs, "", new Set())).toEqual([
      "runs[].attempt: text here, integer there",
    ]);
    const explain = answerOf("get", "/jobs/{jobId}/explain");
    expect(disagree({ holderFactoryId: "string" }, explain, "", new Set())).toEqual([
      "holderFactoryId: may be null there",
    ]);
  });
});
