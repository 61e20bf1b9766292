// What the server answers is what the OpenAPI document says it answers: a walk through the job's life (submit by
// JSON, markdown and {markdown}, replay under a key, list, claim with nothing to claim and with a job, act, make
// children and replay them, bulk-submit and read the batch, enroll and rotate, settings, budget, tokens) where
// every answer's status must be one its operation declares, a replay must say so in `idempotent-replayed`, and
// every JSON body must parse with the response schema the operation declares (shared/api-responses).
import { describe, expect, it } from "vitest";
import { OPS, openApiDocument } from "../../src/worker/openapi";
import { ADMIN, api, P, type Reply, until } from "./client";

const OPEN_API = openApiDocument() as {
  paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
};

let checked = 0;
const schemasUsed = new Set<string>();

/** Calls `template` with `vars` and checks the answer against the operation's declared replies. */
async function call<T = Record<string, unknown>>(
  method: string,
  template: string,
  vars: Record<string, string>,
  opts: Parameters<typeof api>[2] = {},
): Promise<Reply<T>> {
  const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(vars[name] ?? ""));
  const r = await api<T>(method, path, { token: ADMIN, ...opts });
  const where = `${method} ${template} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
  const opPath = template.split("?")[0];
  const op = OPS.find((o) => o.method === method.toLowerCase() && o.path === opPath);
  expect(op, where).toBeDefined();
  const reply = op?.ok?.[String(r.status) as "200"] ?? (op?.ok ? undefined : { description: "OK" });
  expect(reply, `${where}: status not declared`).toBeDefined();
  if (r.headers.get("idempotent-replayed") === "true") {
    expect(reply?.replayed, `${where}: a replay not declared`).toBe(true);
    expect(OPEN_API.paths[opPath!]?.[method.toLowerCase()]?.responses[String(r.status)]?.headers).toHaveProperty(
      "idempotent-replayed",
    );
  }
  if (reply?.schema) {
    const parsed = reply.schema.safeParse(r.body);
    expect(parsed.error?.issues ?? [], where).toEqual([]);
    schemasUsed.add(`${method} ${opPath} ${r.status}`);
  }
  checked++;
  return r;
}

const J = `${P("{productId}")}/jobs`;
const F = `${P("{productId}")}/factories`;

describe("answers match the OpenAPI document", () => {
  it("a walk through jobs, claims, children, batches, factories, settings, budget and tokens", async () => {
    const productId = "openapi-answers";
    const v = { productId };
    expect((await call("POST", "/api/v1/products", {}, { json: { id: productId } })).status).toBe(201);
    expect((await call("POST", "/api/v1/products", {}, { json: { id: productId } })).status).toBe(200);

    const first = await call<{ id: string }>("POST", J, v, {
      json: { manifest: { title: "a", requires: ["gpu"] } },
      headers: { "idempotency-key": "k-1" },
    });
    expect(first.status).toBe(201);
    const again = await call<{ id: string }>("POST", J, v, {
      json: { manifest: { title: "a", requires: ["gpu"] } },
      headers: { "idempotency-key": "k-1" },
    });
    expect([again.status, again.body.id]).toEqual([200, first.body.id]);
    const f = await call<{ token: string; factoryId: string }>("POST", `${F}/enroll`, v, {
      json: { name: "f1", capabilities: ["linux"] },
    });
    expect(f.status).toBe(201);
    await call("GET", F, v);
    await call("GET", `${F}/{factoryId}`, { ...v, factoryId: f.body.factoryId });
    const claimAs = { token: f.body.token, json: {} };
    // Nothing fits a factory without gpu… until a job it can run is queued.
    expect((await call("POST", `${P("{productId}")}/claim`, v, claimAs)).status).toBe(204);
    const md = "---\ntitle: from markdown\n---\nbody text\n";
    const fromMd = await call<{ id: string; title: string }>("POST", J, v, {
      text: md,
      headers: { "content-type": "text/markdown" },
    });
    expect([fromMd.status, fromMd.body.title]).toEqual([201, "from markdown"]);
    expect((await call("POST", J, v, { json: { markdown: md.replace("from markdown", "b") } })).status).toBe(201);

    await call("GET", J, v);
    await call("GET", `${J}?fields=full`, v);
    await call("GET", `${J}/{jobId}`, { ...v, jobId: first.body.id });

    expect((await call("POST", `${P("{productId}")}/claim`, v, claimAs)).status).toBe(200);
    await call(
      "POST",
      `${J}/{jobId}/actions/{action}`,
      { ...v, jobId: fromMd.body.id, action: "cancel" },
      { json: {} },
    );

    const parent = await call<{ id: string }>("POST", J, v, { json: { manifest: { title: "parent" } } });
    const children = { json: { children: [{ title: "c0" }, { title: "c1", deps: ["#0"] }] } };
    const kids = { ...v, jobId: parent.body.id };
    const keyed = { ...children, headers: { "idempotency-key": "split" } };
    expect((await call("POST", `${J}/{jobId}/children`, kids, keyed)).status).toBe(201);
    expect((await call("POST", `${J}/{jobId}/children`, kids, keyed)).status).toBe(200);

    const batch = await call<{ batchId: string }>("POST", `${P("{productId}")}/jobs:batch`, v, {
      json: { items: [{ manifest: { title: "bulk" } }, { manifest: { title: "" } }] },
      headers: { "idempotency-key": "b-1" },
    });
    expect(batch.status).toBe(202);
    const view = `${P("{productId}")}/batches/{batchId}`;
    await until(
      () => call<{ done: boolean }>("GET", view, { ...v, batchId: batch.body.batchId }),
      (r) => r.body.done,
    );

    await call("POST", `${F}/{factoryId}/token/rotate`, { ...v, factoryId: f.body.factoryId });
    await call("GET", `${P("{productId}")}/settings`, v);
    await call("PATCH", `${P("{productId}")}/settings`, v, { json: { preemption: true } });
    await call("PUT", `${P("{productId}")}/budget`, v, {
      json: { period: "day", ceilingUsd: 5, onExhausted: "pause" },
    });
    await call("GET", `${P("{productId}")}/budget`, v);
    await call("POST", `${P("{productId}")}/budget/pause`, v, { json: {} });
    expect((await call("POST", `${P("{productId}")}/tokens`, v, { json: { role: "viewer", name: "v" } })).status).toBe(
      201,
    );

    expect(checked).toBeGreaterThan(25);
    expect(schemasUsed.size).toBeGreaterThan(18);
  });
});
