/**
 * A tiny API client for integration tests: calls the Worker's own fetch handler
 * inside workerd (no network), with the same bodies a real client sends.
 *
 * The handler is called directly (`worker.fetch(request, env, ctx)`), not through the
 * pool's self binding (`exports.default.fetch`): every call through that binding costs
 * more than the one before it within a test file's workerd (cloudflare/workers-sdk#15446,
 * measured here: /health at 7 ms for the first 150 calls, 940 ms per call after 1,600),
 * while the handler itself stays flat (~1.6 ms). Tests of WebSocket upgrades and raw
 * streams still go through the binding (test/integration/sockets.ts and others).
 */
import { createExecutionContext, env } from "cloudflare:test";
import { expect } from "vitest";
import worker from "../../src/worker/index.ts";
import { until } from "./polling.ts";

export { lastAfter, until } from "./polling.ts";

export const ADMIN = "test-admin-token";

export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

type CallOptions = { token?: string; json?: unknown; text?: string; headers?: Record<string, string> };

/**
 * One call. Products are created explicitly (`POST /api/v1/products`); tests
 * name products freely, so when the admin is told a product does not exist,
 * this creates it — as an operator would once — and asks again. `rawApi`
 * does not, for tests about that very answer.
 */
export async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<Reply<T>> {
  const first = await rawApi<T>(method, path, opts);
  const missing = first.body as { what?: unknown; id?: unknown } | null;
  if (first.status !== 404 || opts.token !== ADMIN || missing?.what !== "product") return first;
  await createProduct(String(missing.id));
  return rawApi<T>(method, path, opts);
}

/** Create a product (admin); idempotent. */
export async function createProduct(id: string): Promise<void> {
  const r = await rawApi("POST", "/api/v1/products", { token: ADMIN, json: { id } });
  if (r.status !== 201 && r.status !== 200)
    throw new Error(`create product ${id}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** One call through the Worker's own fetch handler, exactly as given. */
export async function rawApi<T = Record<string, unknown>>(
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers["content-type"] ??= "application/json";
  } else if (opts.text !== undefined) {
    body = opts.text;
  }
  // A body's length as a real client sends it over the wire (a Request made in place has no such header).
  if (body !== undefined) headers["content-length"] ??= String(new TextEncoder().encode(body).length);
  const request = new Request(`http://gf.test${path}`, { method, headers, body });
  const res = await worker.fetch(request as Parameters<typeof worker.fetch>[0], env, createExecutionContext());
  const raw = await res.text();
  let parsed: unknown = raw;
  try {
    parsed = raw === "" ? null : JSON.parse(raw);
  } catch {
    /* keep text */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export const P = (product: string) => `/api/v1/products/${product}`;

export async function enroll(product: string, name: string, capabilities: string[] = [], seats = 1) {
  const r = await api<{ factoryId: string; token: string }>("POST", `${P(product)}/factories/enroll`, {
    token: ADMIN,
    json: { name, capabilities, seats },
  });
  if (r.status !== 201) throw new Error(`enroll failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A product token minted by the admin: `{id, token}` (throws unless 201). Six test files each had their own copy. */
export async function mintToken(product: string, role: "viewer" | "operator", name: string = role) {
  const r = await api<{ id: string; token: string }>("POST", `${P(product)}/tokens`, {
    token: ADMIN,
    json: { role, name },
  });
  if (r.status !== 201) throw new Error(`mint ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** An alert as `GET …/alerts` lists it. */
export interface AlertView {
  id: string;
  kind: string;
  subject: string;
  state: string;
  severity: string;
  message: string;
}

/** The product's alerts, in `state` (open, acknowledged, resolved) when given (throws unless 200). */
export async function alertsOf(product: string, state?: string): Promise<AlertView[]> {
  const r = await api<{ alerts: AlertView[] }>("GET", `${P(product)}/alerts${state ? `?state=${state}` : ""}`, {
    token: ADMIN,
  });
  if (r.status !== 200) throw new Error(`alerts of ${product}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.alerts;
}

export interface JobView {
  id: string;
  stage: string;
  leaseEpoch: number;
  attempt: number;
  rev: number;
  holderFactoryId?: string;
  checkpoint?: { branch?: string; sha?: string; note?: string };
  [k: string]: unknown;
}

export async function submit(product: string, manifest: Record<string, unknown>, bodyMd = "") {
  const r = await api<JobView>("POST", `${P(product)}/jobs`, { token: ADMIN, json: { manifest, bodyMd } });
  if (r.status !== 201 && r.status !== 200) throw new Error(`submit failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function claim(product: string, token: string, leaseTtlSeconds = 60) {
  return api<{ job: JobView; lease: { leaseEpoch: number; expiresAt: number } }>("POST", `${P(product)}/claim`, {
    token,
    json: { leaseTtlSeconds },
  });
}

export async function getJob(product: string, id: string) {
  const r = await api<JobView>("GET", `${P(product)}/jobs/${id}`, { token: ADMIN });
  return r.body;
}

/** A job's feed events read as a reader does (REST, from the start), once at least `atLeast` are there (5 s, else throws). */
export async function eventsOf(
  product: string,
  jobId: string,
  atLeast: number,
): Promise<Array<{ seq: number; type: string; at: number; data: Record<string, unknown> }>> {
  type Events = { events: Array<{ seq: number; type: string; at: number; data: Record<string, unknown> }> };
  const read = async () =>
    (await api<Events>("GET", `${P(product)}/jobs/${jobId}/events?after=0&limit=500`, { token: ADMIN })).body.events;
  return until(read, (events) => events.length >= atLeast, {
    ms: 5000,
    what: `${atLeast} feed events of ${product}/${jobId}`,
  });
}

/** `POST …/jobs/{parentId}/children` as the admin, expecting 201; the children made. */
export async function addChildren(product: string, parentId: string, children: Array<Record<string, unknown>>) {
  const r = await api<{ children: JobView[] }>("POST", `${P(product)}/jobs/${parentId}/children`, {
    token: ADMIN,
    json: { children },
  });
  expect(r.status).toBe(201);
  return r.body.children;
}
