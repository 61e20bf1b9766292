/**
 * A small JSON Schema (2020-12) validator for the tests that check real answers against the OpenAPI document as it
 * is served (GET /api/v1/openapi.json), not against the zod schemas it was generated from: what a generated client
 * validates with is the JSON, and zod's conversion may lose or change what the zod schema says. No validator is in
 * node_modules (no ajv, no @cfworker/json-schema) and one is not worth a dependency for the keywords the document
 * uses. A keyword this does not know is an error, not ignored — a new keyword in the document fails loudly here
 * instead of passing everything.
 */

type Schema = boolean | Record<string, unknown>;

/** Keywords that only annotate: they assert nothing (`format` is an annotation by default in 2020-12). */
const ANNOTATIONS = new Set(["description", "default", "title", "examples", "format", "deprecated", "$comment"]);
const ASSERTIONS = new Set([
  "$ref",
  "type",
  "enum",
  "const",
  "anyOf",
  "oneOf",
  "allOf",
  "not",
  "properties",
  "required",
  "additionalProperties",
  "propertyNames",
  "minProperties",
  "maxProperties",
  "items",
  "prefixItems",
  "minItems",
  "maxItems",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "pattern",
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (isObject(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted(v[k])]),
    );
  return v;
}

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case "null":
      return v === null;
    case "boolean":
      return typeof v === "boolean";
    case "string":
      return typeof v === "string";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "integer":
      return Number.isInteger(v);
    case "array":
      return Array.isArray(v);
    case "object":
      return isObject(v);
    default:
      throw new Error(`json-schema: unknown type ${type}`);
  }
}

/** A local `$ref` (`#/components/schemas/X`) resolved in `root`. */
function resolve(root: unknown, ref: string): Schema {
  if (!ref.startsWith("#/")) throw new Error(`json-schema: only local refs: ${ref}`);
  let at: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
    at = isObject(at) ? at[key] : undefined;
  }
  if (at === undefined) throw new Error(`json-schema: ${ref} does not resolve`);
  return at as Schema;
}

/**
 * What is wrong with `value` under `schema`, one line per fault, each naming where (`$.a.b[0]`); empty when valid.
 * @param root - the document `$ref`s resolve in (the OpenAPI document)
 * @throws Error on a keyword this validator does not know, or a `$ref` that does not resolve
 */
export function schemaFaults(schema: Schema, value: unknown, root: unknown, at = "$"): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${at}: no value is allowed here`];
  const out: string[] = [];
  for (const k of Object.keys(schema))
    if (!ASSERTIONS.has(k) && !ANNOTATIONS.has(k)) throw new Error(`json-schema: unknown keyword ${k} at ${at}`);
  const s = schema as Record<string, unknown>;
  const sub = (child: unknown, v: unknown, where = at) => schemaFaults(child as Schema, v, root, where);
  if (typeof s.$ref === "string") out.push(...sub(resolve(root, s.$ref), value));
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => typeOk(t, value))) return [...out, `${at}: ${JSON.stringify(value)} is not ${types}`];
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => equal(e, value)))
    out.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
  if ("const" in s && !equal(s.const, value)) out.push(`${at}: not ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.allOf)) for (const a of s.allOf) out.push(...sub(a, value));
  if (Array.isArray(s.anyOf) && !s.anyOf.some((a) => sub(a, value).length === 0))
    out.push(`${at}: matches none of anyOf (${s.anyOf.map((a) => sub(a, value)[0]).join(" | ")})`);
  if (Array.isArray(s.oneOf)) {
    const n = s.oneOf.filter((a) => sub(a, value).length === 0).length;
    if (n !== 1) out.push(`${at}: matches ${n} of oneOf, not exactly one`);
  }
  if (s.not !== undefined && sub(s.not, value).length === 0) out.push(`${at}: matches what "not" forbids`);
  if (isObject(value)) out.push(...objectFaults(s, value, sub, at));
  if (Array.isArray(value)) out.push(...arrayFaults(s, value, sub, at));
  if (typeof value === "number") out.push(...numberFaults(s, value, at));
  if (typeof value === "string") out.push(...stringFaults(s, value, at));
  return out;
}

type Sub = (child: unknown, v: unknown, where?: string) => string[];

function objectFaults(s: Record<string, unknown>, value: Record<string, unknown>, sub: Sub, at: string): string[] {
  const out: string[] = [];
  const props = (s.properties ?? {}) as Record<string, unknown>;
  for (const r of (s.required ?? []) as string[]) if (!(r in value)) out.push(`${at}.${r}: required, missing`);
  const n = Object.keys(value).length;
  if (typeof s.minProperties === "number" && n < s.minProperties)
    out.push(`${at}: fewer than ${s.minProperties} properties`);
  if (typeof s.maxProperties === "number" && n > s.maxProperties)
    out.push(`${at}: more than ${s.maxProperties} properties`);
  for (const [k, v] of Object.entries(value)) {
    if (k in props) out.push(...sub(props[k], v, `${at}.${k}`));
    else if (s.additionalProperties !== undefined) out.push(...sub(s.additionalProperties, v, `${at}.${k}`));
    if (s.propertyNames !== undefined) out.push(...sub(s.propertyNames, k, `${at}{${k}}`));
  }
  return out;
}

function arrayFaults(s: Record<string, unknown>, value: unknown[], sub: Sub, at: string): string[] {
  const out: string[] = [];
  const prefix = (s.prefixItems ?? []) as unknown[];
  value.forEach((v, i) => {
    if (i < prefix.length) out.push(...sub(prefix[i], v, `${at}[${i}]`));
    else if (s.items !== undefined) out.push(...sub(s.items, v, `${at}[${i}]`));
  });
  if (typeof s.minItems === "number" && value.length < s.minItems) out.push(`${at}: fewer than ${s.minItems} items`);
  if (typeof s.maxItems === "number" && value.length > s.maxItems) out.push(`${at}: more than ${s.maxItems} items`);
  return out;
}

function numberFaults(s: Record<string, unknown>, v: number, at: string): string[] {
  const out: string[] = [];
  if (typeof s.minimum === "number" && v < s.minimum) out.push(`${at}: ${v} < minimum ${s.minimum}`);
  if (typeof s.maximum === "number" && v > s.maximum) out.push(`${at}: ${v} > maximum ${s.maximum}`);
  if (typeof s.exclusiveMinimum === "number" && v <= s.exclusiveMinimum) out.push(`${at}: ${v} ≤ exclusiveMinimum`);
  if (typeof s.exclusiveMaximum === "number" && v >= s.exclusiveMaximum) out.push(`${at}: ${v} ≥ exclusiveMaximum`);
  return out;
}

function stringFaults(s: Record<string, unknown>, v: string, at: string): string[] {
  const out: string[] = [];
  // JSON Schema counts characters (code points), not UTF-16 units.
  const length = [...v].length;
  if (typeof s.minLength === "number" && length < s.minLength) out.push(`${at}: shorter than ${s.minLength}`);
  if (typeof s.maxLength === "number" && length > s.maxLength) out.push(`${at}: longer than ${s.maxLength}`);
  if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(v))
    out.push(`${at}: ${JSON.stringify(v).slice(0, 80)} does not match ${s.pattern}`);
  return out;
}
