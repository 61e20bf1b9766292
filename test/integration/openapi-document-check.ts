/**
 * One answer checked against the OpenAPI document as the Worker serves it (GET /api/v1/openapi.json), the way a
 * client generated from that JSON reads it: the status is one the operation declares (exactly, or in its `4XX` or
 * `5XX` range), the answer's media type is one that status declares (no body where it declares none), and a JSON
 * body validates against the schema the document gives it (test/integration/openapi-json-schema). A problem+json
 * also carries non-empty `type`, `title`, `detail` and `code`, a `status` equal to the HTTP status, and a `code`
 * whose status (core/errors ERROR_CODES) is that status.
 */
import { ERROR_CODES } from "../../src/core/errors.ts";
import { rawApi } from "./client.ts";
import { schemaFaults } from "./openapi-json-schema.ts";

type Response = { description?: string; content?: Record<string, { schema?: Record<string, unknown> }> };
type Operation = { responses: Record<string, Response>; requestBody?: unknown; "x-role"?: string };
export type ServedDocument = { paths: Record<string, Record<string, Operation>> };

let served: ServedDocument | undefined;

/** The document as GET /api/v1/openapi.json answers it (read once per test file's workerd). */
export async function servedDocument(): Promise<ServedDocument> {
  if (!served) {
    const r = await rawApi<ServedDocument>("GET", "/api/v1/openapi.json");
    if (r.status !== 200) throw new Error(`GET /api/v1/openapi.json: ${r.status}`);
    served = r.body;
  }
  return served;
}

/** An answer as a test holds it: status, headers, and the body parsed when it was JSON (else its text, or null). */
export type Answer = { status: number; headers: Headers; body: unknown };

/**
 * What is wrong with `answer` to `method path` (a document path template) by the served document; empty when
 * nothing is. HEAD is read as the path's GET with no body.
 */
export function documentFaults(doc: ServedDocument, method: string, path: string, answer: Answer): string[] {
  const m = method.toLowerCase() === "head" ? "get" : method.toLowerCase();
  const op = doc.paths[path]?.[m];
  if (!op) return [`${method} ${path}: no such operation in the document`];
  const s = String(answer.status);
  const declared = op.responses[s] ?? op.responses[`${s[0]}XX`];
  if (!declared) return [`status ${s} is not declared (${Object.keys(op.responses).join(", ")})`];
  const contentType = answer.headers.get("content-type") ?? "";
  const media = contentType.split(";")[0]!.trim().toLowerCase();
  const hasBody = method.toUpperCase() !== "HEAD" && answer.body !== null && answer.body !== "";
  const content = declared.content;
  if (!content) return hasBody || media ? [`${s} declares no body, got ${media || "one"}`] : [];
  const key = Object.keys(content).find((k) => mediaMatches(k, contentType));
  if (key === undefined) return [`${s} declares ${Object.keys(content).join(", ")}, got "${contentType}"`];
  const faults: string[] = [];
  const schema = content[key]?.schema;
  const isJson = media === "application/json" || media.endsWith("+json");
  if (isJson && method.toUpperCase() !== "HEAD") {
    if (typeof answer.body !== "object" || answer.body === null) return [`${s} ${media}: the body is not JSON`];
    if (schema) faults.push(...schemaFaults(schema, answer.body, doc).map((f) => `${s} ${media} ${f}`));
  }
  if (media === "application/problem+json" && method.toUpperCase() !== "HEAD")
    faults.push(...problemFaults(answer.status, answer.body as Record<string, unknown>));
  return faults;
}

/** Parameters of a media type, names lower case: `text/plain; version=0.0.4` → {version: "0.0.4"}. */
function mediaParams(type: string): Map<string, string> {
  const params = type.split(";").slice(1);
  return new Map(
    params.map((p) => p.split("=").map((x) => x.trim()) as [string, string]).map(([k, v]) => [k.toLowerCase(), v]),
  );
}

/**
 * Whether an answer's Content-Type is what a `content` key declares: the same type (or within a `text/*` range) and
 * every parameter the key names with the same value (the answer may add more, such as charset).
 */
function mediaMatches(key: string, contentType: string): boolean {
  const [want, got] = [key, contentType].map((t) => t.split(";")[0]!.trim().toLowerCase()) as [string, string];
  const typeOk = want === got || want === "*/*" || (want.endsWith("/*") && got.startsWith(want.slice(0, -1)));
  const have = mediaParams(contentType);
  return typeOk && [...mediaParams(key)].every(([k, v]) => have.get(k) === v);
}

/** A problem+json's own promises: every part said, and its `status` and `code` are the HTTP status. */
function problemFaults(status: number, p: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of ["type", "title", "detail", "code"])
    if (typeof p[k] !== "string" || (p[k] as string).trim() === "") out.push(`problem: ${k} is not said`);
  if (p.status !== status) out.push(`problem: status ${String(p.status)} in a ${status} answer`);
  const code = p.code as string;
  const codeStatus = code === "internal" ? 500 : ERROR_CODES[code as keyof typeof ERROR_CODES];
  if (codeStatus !== status) out.push(`problem: code ${code} is ${codeStatus}, answered ${status}`);
  return out;
}
