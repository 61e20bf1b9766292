/**
 * @module core/manifest
 * Job manifests: markdown with optional YAML-subset frontmatter. One schema (core/manifest-schema) for markdown and
 * JSON submissions; the body is kept byte for byte; `formatManifest` writes it back for the CLI. The YAML subset is
 * hand-written (no dependency) and small on purpose: what it accepts is listed on `parseYamlSubset`, anything else is
 * a line-numbered error rather than a guess.
 */
import { clipUtf8, fitsUtf8, hasLoneSurrogate, ISSUES_ECHOED, truncateUtf8 } from "./bytes.ts";
import { DomainError } from "./errors.ts";
import {
  BudgetSchema,
  ChildManifestSchema,
  MANIFEST_SHAPE,
  MAX_MANIFEST_BYTES,
  ManifestRequestSchema,
} from "./manifest-schema.ts";
import { firstHeading } from "./markdown-heading.ts";
import type { Manifest } from "./model.ts";

/** `path` is dotted (`budget.usd`, `requires.1`; "" = the document); `line` is 1-based, markdown input only. */
export type ManifestIssue = { path: string; message: string; line?: number };

function invalid(all: ManifestIssue[]): DomainError {
  // Bounded echo (core/bytes ISSUES_ECHOED): an unknown key's name and the count of issues are the caller's input.
  const issues = all
    .slice(0, ISSUES_ECHOED)
    .map((i) => ({ ...i, path: clipUtf8(i.path), message: clipUtf8(i.message) }));
  const text = issues.map((i) => `${i.line ? `line ${i.line}: ` : ""}${i.path ? `${i.path}: ` : ""}${i.message}`);
  const more = all.length > issues.length ? ` (and ${all.length - issues.length} more)` : "";
  return new DomainError("invalid_manifest", `invalid manifest: ${text.join("; ")}${more}`, { issues });
}

function fail(line: number, path: string, message: string): never {
  throw invalid([{ path, message, line }]);
}

type Scalar = string | number | boolean | null;
type Value = Scalar | Scalar[] | { [key: string]: Value };

const KEY_LINE = /^([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+(.*))?$/;
const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const LIST_ITEM = /^-(?:[ \t]+(.*))?$/;
const isSkippable = (line: string): boolean => /^\s*(?:#.*)?$/.test(line);

function parseScalar(src: string, n: number, path: string): Scalar {
  const s = src.trim();
  if (s === "" || s === "null" || s === "~") return null;
  if (s === "true" || s === "false") return s === "true";
  if (s.startsWith("'")) {
    const inner = /^'((?:[^']|'')*)'$/.exec(s)?.[1]; // '' is YAML's escaped single quote
    return inner?.replaceAll("''", "'") ?? fail(n, path, "unterminated single-quoted string, or text after the quote");
  }
  if (s.startsWith('"')) {
    let text: string;
    try {
      text = JSON.parse(s) as string; // YAML's common escapes (\" \\ \n \t \uXXXX) are JSON's
    } catch {
      return fail(n, path, "malformed double-quoted string (unterminated, bad escape, or text after the quote)");
    }
    // A \uD800–\uDFFF escape without its pair: storage would turn it into U+FFFD (core/bytes `hasLoneSurrogate`).
    return hasLoneSurrogate(text) ? fail(n, path, "a lone surrogate escape (\\uD800–\\uDFFF without its pair)") : text;
  }
  if (/^[[\]{}]/.test(s)) fail(n, path, "nested lists/maps are not supported; quote the value if it is text");
  return NUMBER.test(s) ? Number(s) : s;
}

/** Splits the inside of `[...]` / `{...}` on commas outside quotes; one trailing comma is allowed. */
function splitFlow(inner: string, n: number, path: string): string[] {
  const items = [""];
  for (const token of inner.match(/"(?:[^"\\]|\\.)*"?|'(?:[^']|'')*'?|[^,"']+|,/g) ?? []) {
    if (token === ",") items.push("");
    else if (!/^["']/.test(token) && /[[\]{}]/.test(token)) fail(n, path, "nested lists/maps are not supported");
    else items.push(`${items.pop()}${token}`);
  }
  const trimmed = items.map((item) => item.trim());
  if (trimmed.at(-1) === "") trimmed.pop();
  if (trimmed.includes("")) fail(n, path, "empty item between commas");
  return trimmed;
}

type Row = { text: string; n: number; indent: number; block: Row[] };

/**
 * A map from rows (`text` trimmed, `n` = file line). `parent` "" is the top level, whose values may be inline lists
 * or maps, or a block of the rows indented under a key with no value; nested maps hold only scalars (one level).
 */
function parseMap(parent: string, where: Map<string, number>, rows: Row[]): Record<string, Value> {
  const map = new Map<string, Value>();
  for (const { text, n, block } of rows) {
    const m = KEY_LINE.exec(text);
    // 40 bytes: enough to spot the line; cut between characters (a cut by UTF-16 units split an emoji in half).
    if (!m) fail(n, parent, `expected "${parent ? "name" : "key"}: value", got "${truncateUtf8(text, 40)}"`);
    const key = m[1]!;
    const path = parent ? `${parent}.${key}` : key;
    if (map.has(key)) fail(n, path, `duplicate key (first on line ${where.get(path)})`);
    where.set(path, n);
    const rest = m[2]?.trim() ?? "";
    if (rest && block[0]) fail(block[0].n, path, "unexpected indentation: only a key with no value has lines under it");
    if (rest) map.set(key, parent ? parseScalar(rest, n, path) : parseInline(rest, n, path, where));
    else map.set(key, block.length > 0 ? parseBlock(path, block, where) : null);
  }
  return Object.fromEntries(map); // fromEntries: a `__proto__` key stays an own (rejected) key
}

function parseInline(src: string, n: number, key: string, where: Map<string, number>): Value {
  const open = src[0];
  if (open !== "[" && open !== "{") return parseScalar(src, n, key);
  if (!src.endsWith(open === "[" ? "]" : "}")) fail(n, key, `unclosed "${open}"; quote the value if it is text`);
  const items = splitFlow(src.slice(1, -1), n, key);
  if (open === "[") return items.map((item, k) => parseScalar(item, n, `${key}.${k}`));
  const rows = items.map((text): Row => ({ text, n, indent: 0, block: [] }));
  return parseMap(key, where, rows);
}

/** The rows under a key with no value: all `- item` (a list) or all `name: value` (a map). */
function parseBlock(key: string, block: Row[], where: Map<string, number>): Value {
  const bad = block.find((b) => b.indent !== block[0]!.indent);
  if (bad) fail(bad.n, key, "inconsistent indentation (only one level of nesting is supported)");
  if (!LIST_ITEM.test(block[0]!.text)) return parseMap(key, where, block);
  return block.map((b, k) => {
    const m = LIST_ITEM.exec(b.text);
    if (!m) fail(b.n, key, `expected "- item" like the lines above, got "${b.text}"`);
    where.set(`${key}.${k}`, b.n);
    return parseScalar(m[1] ?? "", b.n, `${key}.${k}`);
  });
}

/**
 * Accepts `key: scalar` (plain, "double", 'single', number, true/false, null/~), `key: [a, b]`, `key: {k: v}`, and
 * under a key with no value either `- item` lines (indented, or at column 0 as YAML allows) or indented `k: v` lines.
 * `#` starts a comment only on its own line, so `title: Fix #12` keeps its `#12`. `first` = file line of lines[0].
 */
function parseYamlSubset(lines: readonly string[], first: number, where: Map<string, number>): Record<string, Value> {
  const top: Row[] = [];
  lines.forEach((line, i) => {
    if (isSkippable(line)) return;
    const lead = /^[ \t]*/.exec(line)![0];
    if (lead.includes("\t")) fail(first + i, "", "tabs are not allowed in indentation");
    const row: Row = { text: line.trim(), n: first + i, indent: lead.length, block: [] };
    const parent = top.at(-1);
    if (lead === "" && !LIST_ITEM.test(row.text)) top.push(row);
    else if (parent) parent.block.push(row);
    else fail(row.n, "", "unexpected indentation before the first key");
  });
  return parseMap("", where, top);
}

/** An explicit null (or an empty `key:`) means "not set", in YAML and JSON alike: the default applies. */
function dropNulls(input: unknown, depth = 0): unknown {
  if (typeof input !== "object" || input === null || Array.isArray(input) || depth > 1) return input;
  const kept = Object.entries(input).filter(([, v]) => v !== null);
  return Object.fromEntries(kept.map(([k, v]) => [k, dropNulls(v, depth + 1)]));
}

function validate(input: unknown, where?: Map<string, number>): Manifest {
  const result = ManifestRequestSchema.safeParse(dropNulls(input));
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue): ManifestIssue[] => {
    const base = issue.path.map(String).join(".");
    const keys: Array<string | undefined> = issue.code === "unrecognized_keys" ? issue.keys : [undefined];
    return keys.map((k) => {
      const path = k === undefined ? base : base ? `${base}.${k}` : k;
      const shape = /^children\.\d+$/.test(base) ? ChildManifestSchema.shape : ManifestRequestSchema.shape;
      const allowed = Object.keys(base.endsWith("budget") ? BudgetSchema.shape : shape); // budget: the only nested map
      const message = k === undefined ? issue.message : `unknown key (allowed: ${allowed.join(", ")})`;
      const line = where?.get(path) ?? where?.get(path.split(".")[0]!); // an inline list/map reports its key's line
      return line === undefined ? { path, message } : { path, message, line };
    });
  });
  throw invalid(issues);
}

/** Validates a JSON submission against the same schema as markdown frontmatter. */
export function validateManifest(input: unknown): Manifest {
  return validate(input);
}

/**
 * Parses a markdown manifest. Frontmatter is optional (no `---` first line = all body); the body is everything after
 * the closing `---` line, byte for byte; a missing `title` falls back to the first `# Heading` outside code fences.
 */
export function parseManifest(text: string): { manifest: Manifest; bodyMd: string } {
  if (!fitsUtf8(text, MAX_MANIFEST_BYTES))
    throw invalid([{ path: "", message: `larger than ${MAX_MANIFEST_BYTES} bytes` }]);
  const lines = text.split("\n"); // "\r" stays on each line, so re-joining the body is exact
  const isFence = (l: string): boolean => /^\uFEFF?---[ \t]*\r?$/.test(l);
  const where = new Map<string, number>();
  let data: Record<string, Value> = {};
  let bodyStart = 0; // index into `lines` of the first body line
  if (isFence(lines[0]!)) {
    bodyStart = lines.findIndex((l, k) => k > 0 && isFence(l)) + 1;
    if (bodyStart === 0) fail(1, "", 'the frontmatter opened on line 1 has no closing "---" line');
    const front = lines.slice(1, bodyStart - 1).map((l) => l.replace(/\r$/, ""));
    data = parseYamlSubset(front, 2, where); // frontmatter starts on file line 2
  }
  const bodyMd = bodyStart === 0 ? text : lines.slice(bodyStart).join("\n");
  if (data.title === undefined || data.title === null) {
    const heading = firstHeading(lines, bodyStart);
    if (heading) {
      data = { ...data, title: heading.text };
      where.set("title", heading.line);
    }
  }
  return { manifest: validate(data, where), bodyMd };
}

const PLAIN = /^[A-Za-z0-9_./+(](?:[^\n\r\t,[\]{}"'#]*[^\s,[\]{}"'#])?$/; // no edge spaces, flow or quote chars

/** Plain when the parser would read it back as the same string; JSON-quoted otherwise. */
function formatScalar(v: string | number | boolean): string {
  if (typeof v !== "string") return String(v);
  const plain = PLAIN.test(v) && !NUMBER.test(v) && !/^(true|false|null)$|:(\s|$)/.test(v);
  return plain ? v : JSON.stringify(v);
}

function formatValue(v: NonNullable<Manifest[Exclude<keyof Manifest, "children">]>): string {
  if (Array.isArray(v)) return `[${v.map(formatScalar).join(", ")}]`;
  if (typeof v !== "object") return formatScalar(v);
  const fields = Object.entries(v).filter(([, x]) => x !== undefined); // budget: the only map, numbers only
  return `{${fields.map(([k, x]) => `${k}: ${x}`).join(", ")}}`;
}

/** Serialises a manifest back to markdown; `parseManifest(formatManifest(m, b))` returns `m` and `b`. */
export function formatManifest(manifest: Manifest, bodyMd: string): string {
  // Schema order, title first; `children` has no markdown form (a list of maps): submit them as JSON.
  const keys = Object.keys(MANIFEST_SHAPE) as Array<Exclude<keyof Manifest, "children">>;
  const lines = keys.flatMap((k) => (manifest[k] === undefined ? [] : [`${k}: ${formatValue(manifest[k]!)}`]));
  return `---\n${lines.join("\n")}\n---\n${bodyMd}`;
}
