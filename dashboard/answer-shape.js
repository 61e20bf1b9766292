/**
 * @module dashboard/answer-shape
 * The check every read of the dashboard puts a 2xx answer through before a page uses it (api.js `api`, its `answer`
 * option; the shapes are in answers.js). A page trusted any 2xx: an answer of another shape — an older or newer
 * coordinator, a proxy's page, a truncated body, `null` — showed as a raw TypeError ("Cannot read properties of
 * undefined (reading 'length')"), a blank or half-drawn panel, or a wrong figure shown as fact (every stage "0" when
 * the counts were missing). Now it fails the read with one sentence naming the field, in the page's usual error
 * place, and the page keeps what it showed.
 *
 * A shape names only what a page reads, with the type it reads it as: a field the answer adds is fine. Shapes:
 * `"string"`, `"number"`, `"boolean"`, `"object"` (any object: a record read key by key), `"any"` (present, any
 * value), `{ field: Shape, … }` (an object with those fields), `[Shape]` (a list of), and the wrappers below.
 * Plain JS, no zod: the browser loads no bundler's output (CSP `script-src 'self'`), and this is all the pages need.
 */

/** A wrapper around a shape: how a field may be missing, a choice, a record, or a shape that contains itself. */
class Wrapped {
  /** @param {"opt" | "maybe" | "orNull" | "either" | "record" | "lazy"} kind @param {any} of */
  constructor(kind, of) {
    this.kind = kind;
    this.of = of;
  }
}

/** @typedef {"string" | "number" | "boolean" | "object" | "any" | Wrapped | Shape[] | { [field: string]: Shape }} Shape */

/** Absent, or `shape`: for a field the page reads with `!== undefined` or a default parameter. @param {Shape} shape */
export const opt = (shape) => new Wrapped("opt", shape);
/** Absent, null, or `shape`: for a field the page reads with `?.`, `??` or as true/false. @param {Shape} shape */
export const maybe = (shape) => new Wrapped("maybe", shape);
/** Present: null, or `shape` (an arm's success rate before its first outcome). @param {Shape} shape */
export const orNull = (shape) => new Wrapped("orNull", shape);
/** One of `shapes` (a histogram bound: a number, or "+Inf"). @param {...Shape} shapes */
export const either = (...shapes) => new Wrapped("either", shapes);
/** An object whose every value is `shape`, whatever its keys (counts by stage). @param {Shape} shape */
export const recordOf = (shape) => new Wrapped("record", shape);
/** The shape `make()` returns, made when first needed: a tree node holds nodes. @param {() => Shape} make */
export const lazy = (make) => new Wrapped("lazy", make);

/** How a value the page wanted is named: "a `jobs` list". @param {Shape} shape @returns {string} */
function noun(shape) {
  if (Array.isArray(shape)) return "list";
  if (shape instanceof Wrapped) {
    if (shape.kind === "either") return shape.of.map(noun).join(" or ");
    if (shape.kind === "record") return "object";
    if (shape.kind === "lazy") return noun(shape.of());
    return noun(shape.of);
  }
  if (typeof shape === "object") return "object";
  return { string: "text", number: "number", boolean: "true/false", object: "object", any: "value" }[shape];
}

/** "a list", "an object", "text": a noun as the sentence reads it after "not". @param {string} noun */
const withArticle = (noun) =>
  noun
    .split(" or ")
    .map((n) => (n === "text" || n === "true/false" ? n : `${n === "object" ? "an" : "a"} ${n}`))
    .join(" or ");

/** What the answer had instead: "null", "text", "a list". @param {unknown} value */
function kindOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return "text";
  if (typeof value === "number") return "a number";
  if (typeof value === "boolean") return "true/false";
  return "an object";
}

/** @param {unknown} v */
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Whether `value` is `shape` at its top (the fields of an object shape, the items of a list, are checked apart).
 * @param {unknown} value @param {Shape} shape
 */
function fitsTop(value, shape) {
  if (Array.isArray(shape)) return Array.isArray(value);
  if (shape instanceof Wrapped) {
    if (shape.kind === "either")
      return shape.of.some((/** @type {Shape} */ s) => fitsTop(value, s) && !fault(value, s));
    if (shape.kind === "record") return isObject(value);
    if (shape.kind === "lazy") return fitsTop(value, shape.of());
    if (shape.kind === "orNull" && value === null) return true;
    if (shape.kind === "maybe" && (value === null || value === undefined)) return true;
    if (shape.kind === "opt" && value === undefined) return true;
    return fitsTop(value, shape.of);
  }
  if (typeof shape === "object") return isObject(value);
  if (shape === "any") return value !== undefined;
  if (shape === "object") return isObject(value);
  if (shape === "number") return typeof value === "number" && Number.isFinite(value);
  return typeof value === shape;
}

/** @param {string} path @param {string | number} key */
const join = (path, key) => (typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key);

/**
 * The first place `value` is not `shape`, in the answer's order, or null when it is. Iterative, so an answer nested
 * deeper than the call stack (a hostile tree) is refused, not a RangeError.
 * @param {unknown} value @param {Shape} shape
 * @returns {{ path: string, want: Shape, got: unknown } | null}
 */
export function fault(value, shape) {
  /** @type {Array<[unknown, Shape, string]>} */
  const stack = [[value, shape, ""]];
  while (stack.length > 0) {
    const [v, s, path] = /** @type {[unknown, Shape, string]} */ (stack.pop());
    if (!fitsTop(v, s)) return { path, want: s, got: v };
    /** @type {Array<[unknown, Shape, string]>} */
    const next = [];
    let inner = s;
    while (inner instanceof Wrapped && inner.kind !== "either" && inner.kind !== "record")
      inner = inner.kind === "lazy" ? inner.of() : v === null || v === undefined ? "any" : inner.of;
    if (v === null || v === undefined) continue; // an absence the wrapper allows
    if (Array.isArray(inner)) {
      const items = /** @type {unknown[]} */ (v);
      for (let i = 0; i < items.length; i++) next.push([items[i], inner[0], join(path, i)]);
    } else if (inner instanceof Wrapped && inner.kind === "record") {
      for (const [k, x] of Object.entries(/** @type {object} */ (v))) next.push([x, inner.of, join(path, k)]);
    } else if (!(inner instanceof Wrapped) && isObject(inner)) {
      for (const [k, fs] of Object.entries(inner)) next.push([/** @type {any} */ (v)[k], fs, join(path, k)]);
    }
    for (let i = next.length - 1; i >= 0; i--) stack.push(/** @type {[unknown, Shape, string]} */ (next[i]));
  }
  return null;
}

/**
 * A 2xx answer the page cannot use: not JSON, or not the shape it reads. Not an ApiError: the read may work when asked
 * again (api.js `transient`: a truncated body, a deploy half done), and a write's outcome is unknown (`outcomeUnknown`:
 * the page reads back what it changed).
 */
export class AnswerShapeError extends Error {
  /** @param {string} message @param {string} field the first field that was not as read ("" for the whole answer) */
  constructor(message, field) {
    super(message);
    this.name = "AnswerShapeError";
    this.field = field;
  }
}

/** The request as the sentence names it: "GET …/jobs/job_1/runs", its query left out, at most 100 characters. */
function requestText(/** @type {string} */ method, /** @type {string} */ path) {
  const bare = path.split("?")[0] ?? "";
  return `${method} …${bare.length > 100 ? `${bare.slice(0, 99)}…` : bare}`;
}

/**
 * `value`, when it is `shape`; else throws one sentence naming the first field that is not: "The coordinator's answer
 * to GET …/jobs had no `jobs` list (is the dashboard newer than the coordinator?)".
 * @template T @param {string} method @param {string} path under the product, as api.js was given it
 * @param {T} value the parsed answer @param {Shape} shape
 * @returns {T}
 * @throws {AnswerShapeError}
 */
export function checkAnswer(method, path, value, shape) {
  const f = fault(value, shape);
  if (!f) return value;
  const head = `The coordinator's answer to ${requestText(method, path)}`;
  if (f.path === "")
    throw new AnswerShapeError(
      `${head} was ${kindOf(f.got)}, not ${withArticle(noun(f.want))} (is something other than the coordinator answering?)`,
      "",
    );
  const missing = f.got === undefined;
  // A path as deep as a hostile answer nests is cut: its end says where.
  const tail = f.path.slice(-119);
  const field = f.path.length > 120 ? `…${tail.slice(tail.indexOf(".") + 1)}` : f.path;
  const what = missing ? `had no \`${field}\` ${noun(f.want)}` : `had \`${field}\` as ${kindOf(f.got)}`;
  const want = missing ? "" : `, not ${withArticle(noun(f.want))}`;
  const hint = missing
    ? "is the dashboard newer than the coordinator?"
    : "are the dashboard and the coordinator one version?";
  throw new AnswerShapeError(`${head} ${what}${want} (${hint})`, f.path);
}

/**
 * A 2xx answer that is not JSON at all: a proxy's or a portal's page answered in the coordinator's place, or the body
 * was cut short. @param {string} method @param {string} path @param {string} [what] what came (foreign-answer.js)
 */
export const notJson = (method, path, what = "") =>
  new AnswerShapeError(
    `The coordinator's answer to ${requestText(method, path)} was not JSON${what ? ` in UTF-8: ${what}` : ""} (is something in front of it answering instead?)`,
    "",
  );
