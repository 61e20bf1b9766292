// An id of another product never reaches that product: every operation of the OpenAPI document whose path names a
// job, factory, token, enrollment code, batch, lesson, routing rule, experiment or alert — every id parameter the document
// has, which a check here holds to — is called on product A's path with A's admin token (the strongest credential A
// has) and the id of one of B's — a job with an artifact and a feed, an enrolled factory, a minted token, a batch, a
// lesson, an enrollment code, a routing rule, a running experiment, an open alert, a dead letter (whose redrive would
// send B's message again). Each is refused (404; 403 where only a lease-holding factory
// may call) and names nothing of B's, and B is unchanged afterwards. (A factory's own token on A's path is another
// product's token: role-matrix.)
import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { OPS } from "../../src/worker/openapi";
import { recordDeadLetters } from "../../src/worker/queues/dead-letters";
import { ADMIN, api, createProduct, enroll, P, rawApi, submit, until } from "./client";

const A = "xid-a";
const B = "xid-b";
/** The path parameters that name an entity of a product (`key`, `action` and `name` are not ids). */
const IDS = [
  "jobId",
  "factoryId",
  "tokenId",
  "codeId",
  "batchId",
  "lessonId",
  "ruleId",
  "experimentId",
  "alertId",
  "deadLetterId",
];
const NOT_IDS = ["productId", "key", "action", "name", "engine"];
/** Bodies that pass validation, so the call reaches the id (an empty body would be a 400 before it). */
const BODIES: Record<string, unknown> = {
  "post /jobs/{jobId}/children": { children: [{ title: "c0" }] },
  "post /factories/{factoryId}/status": { status: "draining" },
  "post /jobs/{jobId}/reviews": { verdict: "approve", comment: "fine" },
  "patch /lessons/{lessonId}": { archived: true },
};
/** Operations only a lease-holding factory may call: A's admin is refused (403) before any id is read. */
const FACTORY_ONLY = new Set(["lease-holder"]);

/** What B looks like to its admin, everything the calls could have changed. */
async function snapshot(product: string, jobId: string) {
  const out: Record<string, unknown> = {};
  const reads = [
    "jobs?fields=full",
    "factories",
    "factories/enrollment-codes",
    "tokens",
    "lessons?archived=include",
    "serial",
    "routing/rules",
    "routing/experiments",
    "alerts",
    "dead-letters",
  ];
  for (const path of [...reads, `jobs/${jobId}/artifacts`, `jobs/${jobId}/events`]) {
    const r = await api("GET", `${P(product)}/${path}`, { token: ADMIN });
    out[path] = JSON.parse(JSON.stringify(r.body), (k, v) => (k === "health" || k === "lastSeenAt" ? undefined : v));
  }
  return out;
}

async function uploadAsAdmin(product: string, jobId: string) {
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(
    `http://gf.test${P(product)}/jobs/${jobId}/artifacts?name=log.txt`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "text/plain", "content-length": "6" },
      body: "bytes\n",
    },
  );
  expect(res.status).toBe(201);
  await res.arrayBuffer();
}

describe("B's ids on A's path, with A's admin token", () => {
  let vars: Record<string, string>;
  let before: Record<string, unknown>;
  beforeAll(async () => {
    await createProduct(A);
    await submit(A, { title: "a's own job" });
    const job = await submit(B, { title: "b's job" });
    await uploadAsAdmin(B, job.id);
    const factory = await enroll(B, "b-host");
    const token = await api<{ id: string }>("POST", `${P(B)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "b-viewer" },
    });
    const batch = await api<{ batchId: string }>("POST", `${P(B)}/jobs:batch`, {
      token: ADMIN,
      json: { items: [{ manifest: { title: "b's batch item" } }] },
    });
    const lesson = await api<{ id: string }>("POST", `${P(B)}/lessons`, {
      token: ADMIN,
      json: { text: "b's lesson", capabilities: [] },
    });
    const code = await api<{ id: string }>("POST", `${P(B)}/factories/enrollment-codes`, { token: ADMIN, json: {} });
    const rule = await api<{ id: string }>("POST", `${P(B)}/routing/rules`, {
      token: ADMIN,
      json: { factoryId: factory.factoryId, effect: "avoid", reason: "b's rule" },
    });
    const experiment = await api<{ id: string }>("POST", `${P(B)}/routing/experiments`, {
      token: ADMIN,
      json: {
        jobClass: "lang:b",
        arms: {
          A: { rules: [{ factoryId: factory.factoryId, effect: "prefer" }] },
          B: { rules: [{ factoryId: factory.factoryId, effect: "avoid" }] },
        },
        split: 0.5,
        guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.9 },
        minSamples: 5,
      },
    });
    expect([token.status, batch.status, lesson.status, code.status, rule.status, experiment.status]).toEqual([
      201, 202, 201, 201, 201, 201,
    ]);
    // An open alert of B's: its factory last beat 31 s ago (degraded), as the health sweep finds it.
    const stub = env.COORDINATOR.getByName(B);
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec(
        "UPDATE factories SET doc = json_set(doc, '$.lastHeartbeatAt', ?) WHERE id = ?",
        Date.now() - 31_000,
        factory.factoryId,
      );
    });
    await stub.sweep(B);
    const alerts = await api<{ alerts: Array<{ id: string }> }>("GET", `${P(B)}/alerts?state=open`, { token: ADMIN });
    expect(alerts.body.alerts).toHaveLength(1);
    // The lesson list reads D1, which trails the coordinator, and the batch's item is queued by the batch
    // consumer: B's snapshot is taken once both are there.
    await until(
      () => api<{ items: unknown[] }>("GET", `${P(B)}/lessons`, { token: ADMIN }),
      (r) => r.body.items.length === 1,
      { what: "product B's one lesson listed" },
    );
    await until(
      () => api<{ jobs: unknown[] }>("GET", `${P(B)}/jobs`, { token: ADMIN }),
      (r) => r.body.jobs.length === 2,
      { what: "product B's two jobs listed" },
    );
    // A dead letter of B's, as the history consumer keeps one (worker/queues/dead-letters), in D1.
    const deadLetterId = "dl-of-the-other-product";
    const record = { productId: B, seq: 1, kind: "audit", body: { at: 1, actor: "op", action: "b's", target: "t" } };
    await recordDeadLetters(env.DB, [
      { id: deadLetterId, productId: B, source: "queue:history", reason: "b's", body: record, attempts: 5, at: 1 },
    ]);
    vars = {
      deadLetterId,
      productId: A,
      jobId: job.id,
      factoryId: factory.factoryId,
      tokenId: token.body.id,
      codeId: code.body.id,
      batchId: batch.body.batchId,
      lessonId: lesson.body.id,
      ruleId: rule.body.id,
      experimentId: experiment.body.id,
      alertId: alerts.body.alerts[0]!.id,
      key: "repo",
      action: "cancel",
      name: "log.txt",
    };
    before = await snapshot(B, job.id);
  });

  const named = OPS.filter((op) => IDS.some((id) => op.path.includes(`{${id}}`)));

  // The table below is only as wide as IDS: an id parameter left out of it (a new entity, a renamed parameter) would
  // drop its operations from the table without a single test failing.
  it("covers every id parameter the document's paths have", () => {
    const params = new Set(OPS.flatMap((op) => [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)));
    expect([...params].filter((p) => !IDS.includes(p) && !NOT_IDS.includes(p))).toEqual([]);
    for (const id of IDS)
      expect(
        named.some((op) => op.path.includes(`{${id}}`)),
        id,
      ).toBe(true);
  });

  it.each(named.map((op) => [`${op.method} ${op.path}`, op] as const))("%s", async (_name, op) => {
    const path = op.path.replace(/\{(\w+)\}/g, (_m, n: string) => encodeURIComponent(vars[n] ?? "x"));
    const query = op.path.endsWith("/artifacts") && op.method === "post" ? "?name=log.txt" : "";
    const r = await rawApi(op.method.toUpperCase(), `${path}${query}`, {
      token: ADMIN,
      ...(op.path.endsWith("/events/ws") ? { headers: { upgrade: "websocket" } } : {}),
      ...(op.method === "get" || op.method === "delete"
        ? {}
        : { json: BODIES[`${op.method} ${op.path.slice(P("{productId}").length)}`] ?? {} }),
    });
    const text = JSON.stringify(r.body);
    expect({ status: r.status, leaks: text.includes(B) || text.includes("b's") }).toEqual({
      status: FACTORY_ONLY.has(op.role) ? 403 : 404,
      leaks: false,
    });
  });

  it("left B unchanged", async () => {
    expect(await snapshot(B, vars.jobId!)).toEqual(before);
  });
});
