// What the server answers about a job is what the OpenAPI document says: a job built over HTTP by a factory (claimed,
// reported with progress and cost, an artifact uploaded, sent to review and approved) and a job waiting on its serial
// key are read through every operation that shows them — explain (of a running and of a waiting job), runs, a page
// of events, artifacts (upload, list, delete), a composite's tree, reviews (POST and GET), serial gates (list,
// freeze, unfreeze) and the D1 history of each kind — and every answer's status must be declared and its JSON body
// must parse with the declared schema, naming every field it has (test/integration/openapi-call).
import { describe, expect, it } from "vitest";
import { enroll, P, until } from "./client";
import { checker, newChecked } from "./openapi-call";

const seen = newChecked();
const call = checker(seen);
const R = P("{productId}");
const J = `${R}/jobs`;

describe("job reads match the OpenAPI document", () => {
  it("explain, runs, events, artifacts, tree, reviews, serial gates and history", async () => {
    const productId = "openapi-answers-reads";
    const v = { productId };
    const f = await enroll(productId, "builder", ["lang:rust"]);
    const manifest = { title: "reviewed", requires: ["lang:rust"], reviewers: 1, serialKey: "repo/main" };
    const job = await call<{ id: string }>("POST", J, v, { json: { manifest } });
    const a = { ...v, jobId: job.body.id };
    const claimed = await call<{ lease: { leaseEpoch: number } }>("POST", `${R}/claim`, v, {
      token: f.token,
      json: {},
    });
    const epoch = claimed.body.lease.leaseEpoch;
    const report = { leaseEpoch: epoch, stage: "building", progress: { pct: 40, note: "half" } };
    await call("PATCH", `${J}/{jobId}`, a, { token: f.token, json: { ...report, insights: { costUsd: 0.02 } } });
    const uploaded = await call("POST", `${J}/{jobId}/artifacts?name=log.txt&leaseEpoch=${epoch}`, a, {
      token: f.token,
      text: "built\n",
      headers: { "content-type": "text/plain", "content-length": "6" },
    });
    expect(uploaded.status).toBe(201);

    // A job no factory can run, queued behind the key the first one holds.
    const waiting = await call<{ id: string }>("POST", J, v, {
      json: { manifest: { title: "waits", requires: ["gpu"], serialKey: "repo/main" } },
    });
    const w = { ...v, jobId: waiting.body.id };
    const running = await call<{ holderFactoryId: string | null }>("GET", `${J}/{jobId}/explain`, a);
    expect(running.body.holderFactoryId).toBe(f.factoryId);
    const queued = await call<{ rejected: unknown[]; waitingReason: unknown }>("GET", `${J}/{jobId}/explain`, w);
    expect([queued.body.rejected.length, queued.body.waitingReason]).toEqual([1, expect.anything()]);

    const gates = await call<{ keys: Array<{ holder: string; queue: string[] }> }>("GET", `${R}/serial`, v);
    expect(gates.body.keys).toEqual([expect.objectContaining({ holder: job.body.id, queue: [waiting.body.id] })]);
    const key = { ...v, key: "repo/main" };
    await call("POST", `${R}/serial/{key}/freeze`, key, { json: { reason: "release week" } });
    await call("POST", `${R}/serial/{key}/unfreeze`, key, { json: {} });

    await call("PATCH", `${J}/{jobId}`, a, { token: f.token, json: { leaseEpoch: epoch, stage: "review" } });
    const reviewed = await call<{ approvals: number }>("POST", `${J}/{jobId}/reviews`, a, {
      json: { verdict: "approve", comment: "fine" },
    });
    expect([reviewed.status, reviewed.body.approvals]).toEqual([201, 1]);
    await call("GET", `${J}/{jobId}/reviews`, a);

    const runs = await call<{ runs: Array<{ result?: unknown }> }>("GET", `${J}/{jobId}/runs`, a);
    expect(runs.body.runs).toHaveLength(1);
    const events = await call<{ events: unknown[] }>("GET", `${J}/{jobId}/events?after=0`, a);
    expect(events.body.events.length).toBeGreaterThan(4);
    const listed = await call<{ artifacts: unknown[] }>("GET", `${J}/{jobId}/artifacts`, a);
    expect(listed.body.artifacts).toHaveLength(1);
    await call("DELETE", `${J}/{jobId}/artifacts/{name}`, { ...a, name: "log.txt" });

    const parent = await call<{ id: string }>("POST", J, v, { json: { manifest: { title: "parent" } } });
    const kids = { ...v, jobId: parent.body.id };
    await call("POST", `${J}/{jobId}/children`, kids, { json: { children: [{ title: "c0" }, { title: "c1" }] } });
    const tree = await call<{ root: { children: unknown[] } }>("GET", `${J}/{jobId}/tree`, kids);
    expect(tree.body.root.children).toHaveLength(2);

    // D1 history trails the coordinator: each kind is read once it has arrived.
    for (const kind of ["snapshots", "runs", "audit"]) {
      const page = await until(
        () => call<{ items: unknown[] }>("GET", `${R}/history?kind=${kind}&jobId=${job.body.id}`, v),
        (r) => r.body.items.length > 0,
      );
      expect(page.body.items.length, kind).toBeGreaterThan(0);
    }

    expect([...seen.parsed].sort()).toEqual(
      [
        `POST ${J} 201`,
        `DELETE ${J}/{jobId}/artifacts/{name} 200`,
        `GET ${J}/{jobId}/artifacts 200`,
        `GET ${J}/{jobId}/events 200`,
        `GET ${J}/{jobId}/explain 200`,
        `GET ${J}/{jobId}/reviews 200`,
        `GET ${J}/{jobId}/runs 200`,
        `GET ${J}/{jobId}/tree 200`,
        `GET ${R}/history 200`,
        `GET ${R}/serial 200`,
        `PATCH ${J}/{jobId} 200`,
        `POST ${J}/{jobId}/artifacts 201`,
        `POST ${J}/{jobId}/children 201`,
        `POST ${J}/{jobId}/reviews 201`,
        `POST ${R}/claim 200`,
        `POST ${R}/serial/{key}/freeze 200`,
        `POST ${R}/serial/{key}/unfreeze 200`,
      ].sort(),
    );
  }, 20_000);
});
