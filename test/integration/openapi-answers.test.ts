// What the server answers is what the OpenAPI document says it answers: a walk through the job's life (submit by
// JSON, markdown and {markdown}, replay under a key, list, claim with nothing to claim and with a job, act, make
// children and replay them, bulk-submit and read the batch, enroll and rotate, settings, budget, tokens) and one
// around it (liveness, this document, products, a factory's report, lease and heartbeat, the factory actions,
// enrollment codes, tokens, tracker ingest queued and existing, a dead letter, a ticket, the queue version) where
// every answer's status must be one its operation declares, a replay must say so in `idempotent-replayed`, and
// every JSON body must parse with the response schema the operation declares (shared/api-responses), naming every
// field it has (test/integration/openapi-call). The job's reads, policies, alerts, lessons, metrics and learned
// routing are walked in test/integration/openapi-answers-fleet.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { validateManifest } from "../../src/core/manifest.ts";
import worker from "../../src/worker/index.ts";
import type { DispatchMessage } from "../../src/worker/queues/messages.ts";
import { P, until } from "./client";
import { checker, newChecked } from "./openapi-call";

const seen = newChecked();
const call = checker(seen);

const R = P("{productId}");
const J = `${R}/jobs`;
const F = `${R}/factories`;

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
      { what: "the bulk batch done" },
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

  it("liveness, this document, products, a factory's report, lease and heartbeat, factory actions, tokens, intake", async () => {
    const productId = "openapi-answers-around";
    const v = { productId };
    const before = new Set(seen.parsed);
    await call("GET", "/api/v1/health", {});
    await call("GET", "/api/v1/openapi.json", {});
    await call("POST", "/api/v1/products", {}, { json: { id: productId } });
    await call("GET", "/api/v1/products", {});
    const f = await call<{ token: string; factoryId: string }>("POST", `${F}/enroll`, v, { json: { name: "f2" } });
    const job = await call<{ id: string }>("POST", J, v, { json: { manifest: { title: "worked" } } });
    const as = { token: f.body.token };
    const claimed = await call<{ lease: { leaseEpoch: number } }>("POST", `${R}/claim`, v, { ...as, json: {} });
    const leaseEpoch = claimed.body.lease.leaseEpoch;
    const j = { ...v, jobId: job.body.id };
    await call("PATCH", `${J}/{jobId}`, j, { ...as, json: { leaseEpoch, stage: "building" } });
    await call("POST", `${J}/{jobId}/lease/renew`, j, { ...as, json: { leaseEpoch } });
    const beat = await call<{ leases: unknown[] }>("POST", `${F}/heartbeat`, v, { ...as, json: { seats: 1 } });
    // A beat lists the leases it holds as references only (the lessons and spend of `welcome` are not read).
    expect(beat.body.leases).toEqual([
      { jobId: job.body.id, leaseEpoch, expiresAt: expect.any(Number), ttlSeconds: expect.any(Number) },
    ]);
    await call("POST", `${J}/{jobId}/lease/release`, j, { ...as, json: { leaseEpoch } });
    await call("POST", `${J}/{jobId}/events/ticket`, j);
    await call("GET", `${R}/queue-state`, v);

    const fv = { ...v, factoryId: f.body.factoryId };
    await call("POST", `${F}/{factoryId}/status`, fv, { json: { status: "draining" } });
    await call("POST", `${F}/{factoryId}/capabilities/approve`, fv, { json: { seatLimit: 2 } });
    await call("POST", `${F}/{factoryId}/token/revoke`, fv);
    await call("DELETE", `${F}/{factoryId}`, fv);
    const code = await call<{ id: string }>("POST", `${F}/enrollment-codes`, v, { json: { name: "f3", seats: 1 } });
    await call("GET", `${F}/enrollment-codes`, v);
    await call("DELETE", `${F}/enrollment-codes/{codeId}`, { ...v, codeId: code.body.id });
    const token = await call<{ id: string }>("POST", `${R}/tokens`, v, { json: { role: "viewer", name: "v" } });
    await call("GET", `${R}/tokens`, v);
    await call("DELETE", `${R}/tokens/{tokenId}`, { ...v, tokenId: token.body.id });

    const item = { source: "github", externalId: "7", title: "from the tracker" };
    expect((await call("POST", `${R}/tracker/ingest`, v, { json: item })).status).toBe(202);
    const again = await until(
      () => call("POST", `${R}/tracker/ingest`, v, { json: item }),
      (r) => r.status === 200,
    );
    expect(again.status).toBe(200);
    // An item whose dependency does not exist is refused in the bulk answer itself; one that reaches the consumer
    // anyway (a message queued before, or the dep gone in between) is refused there: a dead letter.
    const orphan = { manifest: { title: "orphan", deps: ["job_missing"] } };
    const refused = await call<{ rejected: unknown[] }>("POST", `${R}/jobs:batch`, v, { json: { items: [orphan] } });
    expect(refused.body.rejected).toHaveLength(1);
    await deliverRefused(productId);
    const letters = await until(
      () => call<{ items: unknown[] }>("GET", `${R}/dead-letters`, v),
      (r) => r.body.items.length > 0,
    );
    expect(letters.body.items).toHaveLength(1);
    const letterId = (letters.body.items[0] as { id: string }).id;
    await call("GET", `${R}/dead-letters/{deadLetterId}`, { ...v, deadLetterId: letterId });

    const added = [...seen.parsed].filter((k) => !before.has(k)).map((k) => k.replace(R, "R"));
    expect(added.sort()).toEqual(
      [
        "DELETE R/factories/{factoryId} 200",
        "DELETE R/factories/enrollment-codes/{codeId} 200",
        "GET R/factories/enrollment-codes 200",
        "DELETE R/tokens/{tokenId} 200",
        "GET /api/v1/health 200",
        "GET /api/v1/openapi.json 200",
        "GET /api/v1/products 200",
        "GET R/dead-letters 200",
        "GET R/dead-letters/{deadLetterId} 200",
        "GET R/queue-state 200",
        "GET R/tokens 200",
        "PATCH R/jobs/{jobId} 200",
        "POST R/factories/enrollment-codes 201",
        "POST R/factories/heartbeat 200",
        "POST R/factories/{factoryId}/capabilities/approve 200",
        "POST R/factories/{factoryId}/status 200",
        "POST R/factories/{factoryId}/token/revoke 200",
        "POST R/jobs/{jobId}/events/ticket 201",
        "POST R/jobs/{jobId}/lease/release 200",
        "POST R/jobs/{jobId}/lease/renew 200",
        "POST R/tracker/ingest 200",
        "POST R/tracker/ingest 202",
      ].sort(),
    );
  });
});

/** A dispatch message whose one item names a dep that does not exist, delivered as the queue would. */
async function deliverRefused(productId: string): Promise<void> {
  const manifest = validateManifest({ title: "orphan", deps: ["job_missing"], idempotencyKey: "orphan" });
  const body: DispatchMessage = {
    kind: "submit",
    productId,
    actor: "test",
    origin: "batch:x",
    items: [{ manifest, bodyMd: "" }],
  };
  const batch = createMessageBatch("gigafactory-dispatch", [
    { id: "orphan", timestamp: new Date(), attempts: 1, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch, env, ctx);
  await getQueueResult(batch, ctx);
}
