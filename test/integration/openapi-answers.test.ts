// What the server answers is what the OpenAPI document says it answers: a walk through the job's life (submit by
// JSON, markdown and {markdown}, replay under a key, list, claim with nothing to claim and with a job, act, make
// children and replay them, bulk-submit and read the batch, enroll and rotate, settings, budget, tokens) where
// every answer's status must be one its operation declares, a replay must say so in `idempotent-replayed`, and
// every JSON body must parse with the response schema the operation declares (shared/api-responses), naming every
// field it has (test/integration/openapi-call). The job's reads, policies, alerts, lessons, metrics and learned
// routing are walked in test/integration/openapi-answers-reads.
import { describe, expect, it } from "vitest";
import { P, until } from "./client";
import { checker, newChecked } from "./openapi-call";

const seen = newChecked();
const call = checker(seen);

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

    expect(seen.answers).toBeGreaterThan(25);
    expect(seen.parsed.size).toBeGreaterThan(18);
  });
});
