/**
 * JSON Schema (2020-12) validation for the tests that check real answers against the OpenAPI document as it is served
 * (GET /api/v1/openapi.json), not against the zod schemas it was generated from: what a generated client validates
 * with is the JSON, and zod's conversion may lose or change what the zod schema says. The validating is
 * @cfworker/json-schema's (a maintained validator run against the JSON-Schema-Test-Suite, which runs in workerd
 * because it compiles nothing: no `eval`/`new Function`, which ajv needs and workerd forbids). It asserts `format`s
 * it knows (`uri`; `binary` is not one), where 2020-12 makes `format` an annotation by default.
 *
 * What the library does not do is kept here, small: it ignores a keyword it does not know (`$dynamicRef` among
 * them), so every schema checked, and every schema of the document's components, is first walked for keywords and a
 * keyword outside {@link KNOWN} is an error — a new keyword in the document fails loudly instead of passing
 * everything. Its faults are one per level of nesting (`properties` → `$ref` → `pattern`), so only the deepest
 * are kept, each `anyOf`/`oneOf` on one line with the first fault of each alternative. It marks the schemas it
 * indexes (non-enumerable properties), so it is given copies: the document's objects may be frozen.
 */
import { dereference, type Schema as LibrarySchema, type OutputUnit, validate } from "@cfworker/json-schema";

type Schema = boolean | Record<string, unknown>;

/** Keywords holding one schema, an array of schemas, and a map of name → schema: the walk for unknown keywords. */
const ONE = ["items", "contains", "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "propertyNames"];
const SUBSCHEMA = new Set([...ONE, "not", "if", "then", "else"]);
const SUBSCHEMAS = new Set(["prefixItems", "allOf", "anyOf", "oneOf"]);
const SCHEMA_MAP = new Set(["properties", "patternProperties", "$defs", "dependentSchemas"]);
/** Keywords that only annotate: they assert nothing. */
const ANNOTATIONS = ["description", "default", "title", "examples", "deprecated", "readOnly", "writeOnly", "$comment"];
/** The 2020-12 keywords @cfworker/json-schema enforces (its validate.ts), with the annotations: nothing else. */
const KNOWN = new Set([
  ...SUBSCHEMA,
  ...SUBSCHEMAS,
  ...SCHEMA_MAP,
  ...ANNOTATIONS,
  ...["$ref", "$id", "$anchor", "$schema", "type", "enum", "const", "format", "required", "dependentRequired"],
  ...["minProperties", "maxProperties", "minItems", "maxItems", "uniqueItems", "minContains", "maxContains"],
  ...["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern"],
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Schemas already walked for unknown keywords (a served document's are walked once per test file). */
const walked = new WeakSet<object>();

/** @throws Error naming the first keyword in `schema` (or its sub-schemas) that the validator would ignore. */
function assertKnownKeywords(schema: unknown, at: string): void {
  if (!isObject(schema) || walked.has(schema)) return;
  for (const [k, v] of Object.entries(schema)) {
    if (!KNOWN.has(k)) throw new Error(`json-schema: unknown keyword ${k} at ${at}`);
    if (SUBSCHEMA.has(k)) assertKnownKeywords(v, `${at}/${k}`);
    if (SUBSCHEMAS.has(k) && Array.isArray(v))
      for (const [i, sub] of v.entries()) assertKnownKeywords(sub, `${at}/${k}/${i}`);
    if (SCHEMA_MAP.has(k) && isObject(v))
      for (const [n, s] of Object.entries(v)) assertKnownKeywords(s, `${at}/${k}/${n}`);
  }
  walked.add(schema);
}

type Lookup = Record<string, LibrarySchema | boolean>;
type Check = (value: unknown) => OutputUnit[];

/**
 * The index of a document's component schemas by URI (`…#/components/schemas/X`), built once per document from a
 * copy: the library marks what it indexes (non-enumerable properties) and the document's objects may be frozen.
 */
const components = new WeakMap<object, Lookup>();
/** One check per schema object, per document: the indexing walk runs once per schema, not once per answer. */
const checks = new WeakMap<object, WeakMap<object, Check>>();
const NO_ROOT: Record<string, unknown> = {};

/**
 * The check of a value against `schema`, where a local `$ref` (`#/components/schemas/X`) resolves in `root` as it
 * does in the document.
 * @throws Error on an unknown keyword in `schema` or in `root.components.schemas`
 */
function checkFor(schema: Record<string, unknown>, root: unknown): Check {
  const doc = isObject(root) ? root : NO_ROOT;
  let shared = components.get(doc);
  if (!shared) {
    const schemas = isObject(doc.components) ? doc.components.schemas : undefined;
    if (isObject(schemas))
      for (const [n, s] of Object.entries(schemas)) assertKnownKeywords(s, `#/components/schemas/${n}`);
    // Indexed under their own pointer, so that each schema checked can sit at the root of a lookup built on this one.
    // The map is walked as a schema: a component named as a keyword (`type`) would be skipped, and a $ref to it
    // would throw as unresolved, not pass (the document's names are PascalCase).
    shared = dereference(structuredClone(schemas ?? {}) as LibrarySchema, undefined, undefined, "/components/schemas");
    components.set(doc, shared);
  }
  const byDoc = checks.get(doc) ?? new WeakMap<object, Check>();
  checks.set(doc, byDoc);
  let check = byDoc.get(schema);
  if (!check) {
    assertKnownKeywords(schema, "#");
    const copy = structuredClone(schema) as LibrarySchema;
    const lookup = dereference(copy, Object.create(shared) as Lookup);
    check = (value) => validate(value, copy, "2020-12", lookup, false).errors;
    byDoc.set(schema, check);
  }
  return check;
}

/**
 * What is wrong with `value` under `schema`, one line per fault, each `<instance pointer>: <fault> (<schema pointer>)`
 * (`#/d1: Instance does not match any of ["ok"]. got "gone" (#/properties/d1/enum)`); empty when valid. The value is
 * checked as JSON carries it (NaN and Infinity arrive as null; an absent value is itself a fault).
 * @param root - the document `$ref`s resolve in (the OpenAPI document: its `components.schemas`)
 * @throws Error on a keyword the validator does not enforce, or a `$ref` that does not resolve
 */
export function schemaFaults(schema: Schema, value: unknown, root: unknown): string[] {
  if (value === undefined) return ["#: no value (undefined is not JSON)"];
  const wire: unknown = JSON.parse(JSON.stringify(value));
  const check: Check =
    typeof schema === "boolean" ? (v) => validate(v, schema, "2020-12").errors : checkFor(schema, root);
  try {
    return readable(check(wire), wire);
  } catch (e) {
    // The library's message lists every schema it knows: hundreds of lines for the document.
    const ref = /^Unresolved \$ref "([^"]*)"/.exec(String((e as Error).message));
    if (ref) throw new Error(`json-schema: $ref ${ref[1]} does not resolve`);
    throw e;
  }
}

/**
 * The library's faults as lines: a fault explained by deeper ones (a `$ref`, a property, an item) is left out, and
 * the faults inside an `anyOf`/`oneOf` are folded into its line, the first of each alternative. A fault on a string,
 * number, boolean or null says the value (the library's do not: "String does not match pattern.").
 * @returns `<instance pointer>: <fault> [<first fault of each alternative> | …] got <value> (<schema pointer>)`
 */
function readable(all: OutputUnit[], value: unknown): string[] {
  // A `false` schema's fault gives the instance's location as its schema location, so it looks unrelated to the
  // fault that holds it; that one comes just before it and says where and why (e.g. an additional property).
  const errors = all.filter((e, i) => e.keyword !== "false" || i === 0);
  const under = (outer: OutputUnit) => errors.filter((o) => o.keywordLocation.startsWith(`${outer.keywordLocation}/`));
  const isLeaf = (e: OutputUnit) => under(e).length === 0;
  const choices = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
  const out: string[] = [];
  for (const e of errors) {
    if (choices.some((c) => under(c).includes(e))) continue;
    let also = "";
    if (choices.includes(e)) {
      // The first fault of each alternative: `…/anyOf/<i>/…` → i.
      const firsts = new Map<string, string>();
      for (const o of under(e).filter(isLeaf)) {
        const alternative = o.keywordLocation.slice(e.keywordLocation.length + 1).split("/")[0]!;
        if (!firsts.has(alternative)) firsts.set(alternative, `${o.instanceLocation}: ${cut(o.error)}`);
      }
      if (firsts.size) also = ` [${[...firsts.values()].join(" | ")}]`;
    } else if (!isLeaf(e)) continue;
    // Under propertyNames the instance is the property's name, which the location already says, not its value.
    const said = e.keywordLocation.includes("/propertyNames/") ? "" : got(value, e.instanceLocation);
    out.push(`${e.instanceLocation}: ${cut(e.error)}${also}${said} (${e.keywordLocation})`);
  }
  return out;
}

/** The library's text, at most 160 characters: an enum fault lists every member (the problem codes are ~30). */
const cut = (text: string) => (text.length > 160 ? `${text.slice(0, 159)}…` : text);

/** ` got <value>` for the scalar at `pointer` (`#/a/0`, segments escaped as the library does), else "". */
function got(value: unknown, pointer: string): string {
  let at = value;
  for (const part of pointer.split("/").slice(1)) {
    const key = decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~");
    at = typeof at === "object" && at !== null ? (at as Record<string, unknown>)[key] : undefined;
  }
  return typeof at === "object" && at !== null ? "" : ` got ${JSON.stringify(at)?.slice(0, 80)}`;
}
