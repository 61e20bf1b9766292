/**
 * One API call checked against the OpenAPI document (test/integration/openapi-answers*.test.ts): the answer's status
 * must be one its operation declares, a replay must say so in `idempotent-replayed`, and a JSON body must parse with
 * the schema the operation declares for it — with no field the schema does not name (zod drops unknown keys when
 * parsing, so the parsed value must equal the body: a field the server sends and the document does not describe is
 * a failure too).
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import worker from "../../src/worker/index.ts";
import { OPS, openApiDocument } from "../../src/worker/openapi";
import { ADMIN, api, type Reply } from "./client";
import { documentFaults, servedDocument } from "./openapi-document-check";

const OPEN_API = openApiDocument() as {
  paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
};

/** What the calls of one test file checked: how many answers, and which (method path status) parsed with a schema. */
export interface Checked {
  answers: number;
  parsed: Set<string>;
}

export const newChecked = (): Checked => ({ answers: 0, parsed: new Set() });

export type CallOptions = Parameters<typeof api>[2];

/** Calls `template` with `vars` (as the admin unless `opts.token`) and checks the answer against the document. */
export async function checkedCall<T = Record<string, unknown>>(
  seen: Checked,
  method: string,
  template: string,
  vars: Record<string, string>,
  opts: CallOptions = {},
): Promise<Reply<T>> {
  const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(vars[name] ?? ""));
  const r = await api<T>(method, path, { token: ADMIN, ...opts });
  const where = `${method} ${template} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
  const opPath = template.split("?")[0];
  const op = OPS.find((o) => o.method === method.toLowerCase() && o.path === opPath);
  expect(op, where).toBeDefined();
  // And as the served JSON says it, the way a client generated from it reads the answer.
  expect(documentFaults(await servedDocument(), method, opPath!, r), `${where}: by the served document`).toEqual([]);
  const reply = op?.ok[String(r.status) as "200"];
  expect(reply, `${where}: status not declared`).toBeDefined();
  if (r.headers.get("idempotent-replayed") === "true") {
    expect(reply?.replayed, `${where}: a replay not declared`).toBe(true);
    expect(OPEN_API.paths[opPath!]?.[method.toLowerCase()]?.responses[String(r.status)]?.headers).toHaveProperty(
      "idempotent-replayed",
    );
  }
  const isJson = (r.headers.get("content-type") ?? "").startsWith("application/json");
  if (isJson) expect(reply?.schema, `${where}: JSON the document has no schema for`).toBeDefined();
  if (reply?.schema && isJson) {
    const parsed = reply.schema.safeParse(r.body);
    expect(parsed.error?.issues ?? [], where).toEqual([]);
    expect(parsed.data, `${where}: a field the schema does not name`).toEqual(r.body);
    seen.parsed.add(`${method} ${opPath} ${r.status}`);
  }
  seen.answers++;
  return r;
}

/** `checkedCall` bound to one file's record of what it checked. */
export function checker(seen: Checked) {
  return <T = Record<string, unknown>>(
    method: string,
    template: string,
    vars: Record<string, string>,
    opts: CallOptions = {},
  ): Promise<Reply<T>> => checkedCall<T>(seen, method, template, vars, opts);
}

/**
 * The status of one call straight through the Worker's fetch handler, so its modules (and the validator probe) are the
 * calling test's: a JSON `{}` body unless GET or DELETE, the bearer `token` when given; the answer's body discarded.
 */
export async function directStatus(method: string, path: string, token: string | undefined): Promise<number> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const body = ["GET", "DELETE"].includes(method) ? undefined : "{}";
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://gf.test${path}`, { method, headers, body }), env, ctx);
  await res.body?.cancel();
  await waitOnExecutionContext(ctx);
  return res.status;
}
