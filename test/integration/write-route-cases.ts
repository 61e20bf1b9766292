// One request per write route of a product (every POST, PUT, PATCH and DELETE the Worker's router lists under
// /api/v1/products/:productId), for write-routes-retired-caller.test.ts: what state it needs, made as the admin, and
// whose credential makes it — an operator token, or a factory's token. Each is a write the route would commit; its
// credential is retired while its body is still coming, so the coordinator's unit must refuse it (401).
import { ADMIN, api, claim, P } from "./client";

/** What every case starts from, one product each: an operator token, a queued job and an enrolled factory. */
export interface World {
  product: string;
  op: { id: string; token: string };
  job: string;
  factory: { factoryId: string; token: string };
}

/** The request a case makes: its path under the product, and its body (JSON unless `text`; `{}` when neither). */
export interface WriteRequest {
  path: string;
  json?: unknown;
  text?: string;
}

export interface WriteCase {
  /** Whose credential makes the request, and is retired while its body is held. */
  as: "operator" | "factory";
  request: (w: World) => Promise<WriteRequest>;
}

/**
 * Routes that take no credential a revocation could retire mid-request: the admin's (the deployment's secret, in no
 * table), or none kept (a ticket is signed, and the token it names is checked live when the ticket is spent).
 */
export const EXEMPT: Record<string, string> = {
  "POST /tokens": "admin only",
  "DELETE /tokens/:tokenId": "admin only",
  "POST /jobs/:jobId/events/ticket": "writes nothing: a signed ticket, its token checked when spent",
};

/** `POST path` as the admin, its answer's body (throws unless 2xx). */
async function made<T>(method: string, path: string, json?: unknown, text?: string): Promise<T> {
  const r = await api<T>(method, path, { token: ADMIN, json, text });
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The world's job claimed by its factory: the lease its fenced calls name. */
async function leased(w: World): Promise<number> {
  const c = await claim(w.product, w.factory.token);
  if (c.status !== 200) throw new Error(`claim: ${c.status} ${JSON.stringify(c.body)}`);
  return c.body.lease.leaseEpoch;
}

const at = (path: string, json?: unknown, text?: string) => Promise.resolve({ path, json, text });
const op = (request: WriteCase["request"]): WriteCase => ({ as: "operator", request });
const fac = (request: WriteCase["request"]): WriteCase => ({ as: "factory", request });
const SPEC = {
  jobClass: "lang:rust",
  arms: { A: {}, B: { weights: { load: 2 } } },
  guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.9 },
};

/** Keyed `METHOD /path` as the router names it, under the product. */
export const CASES: Record<string, WriteCase> = {
  "POST /jobs:batch": op(() => at("/jobs:batch", { items: [{ markdown: "---\ntitle: late\n---\nx" }] })),
  "POST /tracker/ingest": op(() =>
    at("/tracker/ingest", { source: "linear", externalId: "ENG-1", title: "late", body: "x" }),
  ),
  "POST /jobs": op(() => at("/jobs", { manifest: { title: "late" }, bodyMd: "x" })),
  "POST /jobs/:jobId/actions/:action": op((w) => at(`/jobs/${w.job}/actions/cancel`)),
  "POST /jobs/:jobId/artifacts": op((w) => at(`/jobs/${w.job}/artifacts?name=late.txt`, undefined, "late bytes")),
  "DELETE /jobs/:jobId/artifacts/:name": op(async (w) => {
    await made("POST", `${P(w.product)}/jobs/${w.job}/artifacts?name=kept.txt`, undefined, "kept");
    return { path: `/jobs/${w.job}/artifacts/kept.txt` };
  }),
  "POST /jobs/:jobId/children": op((w) => at(`/jobs/${w.job}/children`, { children: [{ title: "late" }] })),
  "POST /jobs/:jobId/reviews": op((w) => at(`/jobs/${w.job}/reviews`, { verdict: "approve" })),
  "POST /claim": fac(() => at("/claim", { leaseTtlSeconds: 60 })),
  "PATCH /jobs/:jobId": fac(async (w) => ({
    path: `/jobs/${w.job}`,
    json: { leaseEpoch: await leased(w), progress: { pct: 50, note: "late" } },
  })),
  "POST /jobs/:jobId/lease/renew": fac(async (w) => ({
    path: `/jobs/${w.job}/lease/renew`,
    json: { leaseEpoch: await leased(w), leaseTtlSeconds: 600 },
  })),
  "POST /jobs/:jobId/lease/release": fac(async (w) => ({
    path: `/jobs/${w.job}/lease/release`,
    json: { leaseEpoch: await leased(w) },
  })),
  "POST /factories/heartbeat": fac(() => at("/factories/heartbeat")),
  "POST /factories/enroll": op(() => at("/factories/enroll", { name: "late", seats: 1 })),
  "POST /factories/enrollment-codes": op(() => at("/factories/enrollment-codes")),
  "DELETE /factories/enrollment-codes/:codeId": op(async (w) => {
    const code = await made<{ id: string }>("POST", `${P(w.product)}/factories/enrollment-codes`, {});
    return { path: `/factories/enrollment-codes/${code.id}` };
  }),
  "POST /factories/:factoryId/status": op((w) =>
    at(`/factories/${w.factory.factoryId}/status`, { status: "quarantined" }),
  ),
  "POST /factories/:factoryId/capabilities/approve": op((w) =>
    at(`/factories/${w.factory.factoryId}/capabilities/approve`, { seatLimit: 3 }),
  ),
  "POST /factories/:factoryId/token/rotate": op((w) => at(`/factories/${w.factory.factoryId}/token/rotate`)),
  "POST /factories/:factoryId/token/revoke": op((w) => at(`/factories/${w.factory.factoryId}/token/revoke`)),
  "DELETE /factories/:factoryId": op((w) => at(`/factories/${w.factory.factoryId}`)),
  "POST /factories/:factoryId/release": op(async (w) => {
    await made("POST", `${P(w.product)}/factories/${w.factory.factoryId}/status`, { status: "quarantined" });
    return { path: `/factories/${w.factory.factoryId}/release` };
  }),
  "POST /factories/:factoryId/breakers/:engine/reset": op(async (w) => {
    // An open breaker, so the reset writes: the world's job (no engine named: `*`) rate-limited by its factory.
    const leaseEpoch = await leased(w);
    const result = { outcome: "rate_limited", retryAfterSeconds: 600 };
    const r = await api("PATCH", `${P(w.product)}/jobs/${w.job}`, {
      token: w.factory.token,
      json: { leaseEpoch, stage: "failed", result },
    });
    if (r.status !== 200) throw new Error(`rate limit report: ${r.status} ${JSON.stringify(r.body)}`);
    return { path: `/factories/${w.factory.factoryId}/breakers/*/reset` };
  }),
  "PATCH /settings": op(() => at("/settings", { preemption: true })),
  "POST /serial/:key/freeze": op(() => at("/serial/deploy/freeze", { reason: "late" })),
  "POST /serial/:key/unfreeze": op(async (w) => {
    await made("POST", `${P(w.product)}/serial/deploy/freeze`, { reason: "kept" });
    return { path: "/serial/deploy/unfreeze" };
  }),
  "PUT /budget": op(() => at("/budget", { period: "month", ceilingUsd: 5, onExhausted: "pause" })),
  "POST /budget/pause": op(async (w) => {
    await made("PUT", `${P(w.product)}/budget`, { period: "month", ceilingUsd: 5, onExhausted: "pause" });
    return { path: "/budget/pause" };
  }),
  "POST /budget/resume": op(async (w) => {
    await made("PUT", `${P(w.product)}/budget`, { period: "month", ceilingUsd: 5, onExhausted: "pause" });
    await made("POST", `${P(w.product)}/budget/pause`, {});
    return { path: "/budget/resume" };
  }),
  "POST /lessons": op(() => at("/lessons", { text: "late lesson" })),
  "PATCH /lessons/:lessonId": op(async (w) => {
    const lesson = await made<{ id: string }>("POST", `${P(w.product)}/lessons`, { text: "kept lesson" });
    return { path: `/lessons/${lesson.id}`, json: { text: "late edit" } };
  }),
  "POST /alerts/:alertId/ack": op(() => at("/alerts/al_000000000000/ack")),
  "PUT /webhook": op(() => at("/webhook", { url: "http://127.0.0.1:8787/hook", secret: "late-secret-of-16-chars" })),
  "DELETE /webhook": op(async (w) => {
    await made("PUT", `${P(w.product)}/webhook`, {
      url: "http://127.0.0.1:8787/hook",
      secret: "kept-secret-of-16-chars",
    });
    return { path: "/webhook" };
  }),
  "POST /routing/rules": op((w) =>
    at("/routing/rules", { factoryId: w.factory.factoryId, effect: "avoid", reason: "late" }),
  ),
  "DELETE /routing/rules/:ruleId": op(async (w) => {
    const rule = { factoryId: w.factory.factoryId, effect: "avoid", reason: "kept" };
    return { path: `/routing/rules/${(await made<{ id: string }>("POST", `${P(w.product)}/routing/rules`, rule)).id}` };
  }),
  "POST /routing/rebuild": op(() => at("/routing/rebuild")),
  "POST /routing/experiments": op(() => at("/routing/experiments", SPEC)),
  "POST /routing/experiments/:experimentId/stop": op(async (w) => {
    const started = await made<{ id: string }>("POST", `${P(w.product)}/routing/experiments`, SPEC);
    return { path: `/routing/experiments/${started.id}/stop` };
  }),
  "POST /dead-letters/:deadLetterId/redrive": op(() => at("/dead-letters/dl-late/redrive")),
};
