// The OpenAPI document describes what the server answers about a job's reads and the fleet's policies. Beyond the
// submit-to-ship walk (test/integration/openapi-answers): a job's reads (explain, runs, events, artifacts, tree,
// reviews, serial gates, history) and the fleet's money, health and learning (track records, recommendations,
// breakers, quarantine, alerts, lessons, routing rules, experiments, metrics, stats). Every answer's status is
// declared and its JSON body parses with the declared schema, naming every field it has (openapi-call).

import { describe, expect, it } from "vitest";
import { api, claim, enroll, P, submit, until } from "./client";
import { checker, newChecked } from "./openapi-call";

// What the server answers about a job is what the OpenAPI document says: a job built over HTTP by a factory (claimed,
// reported with progress and cost, an artifact uploaded, sent to review and approved) and a job waiting on its serial
// key are read through every operation that shows them — explain (of a running and of a waiting job), runs, a page
// of events, artifacts (upload, list, delete), a composite's tree, reviews (POST and GET), serial gates (list,
// freeze, unfreeze) and the D1 history of each kind — and every answer's status must be declared and its JSON body
// must parse with the declared schema, naming every field it has (test/integration/openapi-call).

const R = P("{productId}");
const J = `${R}/jobs`;

describe("job reads match the OpenAPI document", () => {
  // Each walk checks its own answers: its closing assertion lists exactly the operations it parsed.
  const seen = newChecked();
  const call = checker(seen);
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
  });
});

// What the server answers about the fleet's money, health and learning is what the OpenAPI document says: two
// factories run 12 jobs each over HTTP (one failing them all at $0.05, one succeeding at $0.01), so track records,
// both kinds of recommendation, breakers and metrics have content; one more failure quarantines the bad factory
// (an alert, an automatic lesson), which is acknowledged and released; then health, the webhook, lessons, routing
// rules, a rebuild, an experiment, metrics (JSON and Prometheus) and stats are read and written — and every
// answer's status must be declared and its JSON body must parse with the declared schema, naming every field it has.

const MANIFEST = { engine: "codex", requires: ["lang:rust"] };

/** `token`'s factory claims and ends one new job per outcome (false = a permanent failure), each costing `usd`. */
async function runJobs(product: string, token: string, outcomes: boolean[], usd: number) {
  for (const [i, ok] of outcomes.entries()) {
    const job = await submit(product, { title: `rust ${i}`, ...MANIFEST });
    const c = await claim(product, token);
    expect(c.body.job.id).toBe(job.id);
    const path = `${P(product)}/jobs/${job.id}`;
    const leaseEpoch = c.body.lease.leaseEpoch;
    await api("PATCH", path, { token, json: { leaseEpoch, stage: "building" } });
    const end = ok
      ? { stage: "testing", result: { outcome: "success", rc: 0 } }
      : { stage: "failed", result: { outcome: "failure", rc: 1, retryable: false } };
    const json = { leaseEpoch, ...end, insights: { costUsd: usd } };
    expect((await api("PATCH", path, { token, json })).status).toBe(200);
  }
}

describe("policy answers match the OpenAPI document", () => {
  // Each walk checks its own answers: its closing assertion lists exactly the operations it parsed.
  const seen = newChecked();
  const call = checker(seen);
  it("alerts, health, webhook, lessons, breakers, metrics, stats and learned routing", async () => {
    const productId = "openapi-answers-policies";
    const v = { productId };
    const lenient = { breaker: { failureThreshold: 1000 }, errorBudget: { maxFailures: 100_000 } };
    await call("PATCH", `${R}/settings`, v, { json: lenient });
    const bad = await enroll(productId, "bad", ["engine:codex", "lang:rust"]);
    const good = await enroll(productId, "good", ["engine:codex", "lang:rust"]);
    await runJobs(productId, bad.token, Array(12).fill(false), 0.05);
    await runJobs(productId, good.token, Array(12).fill(true), 0.01);

    const records = await call<{ records: Array<{ jobClass: string }> }>("GET", `${R}/routing/track-records`, v);
    expect(records.body.records).toHaveLength(2);
    type Rec = { id: string; kind: string; rule: Record<string, unknown> };
    const recs = await call<{ recommendations: Rec[] }>("GET", `${R}/routing/recommendations`, v);
    expect(recs.body.recommendations.map((r) => r.kind).sort()).toEqual(["cost", "failure_rate"]);
    const rec = recs.body.recommendations[0]!;
    const rule = await call<{ id: string }>("POST", `${R}/routing/rules`, v, {
      json: { ...rec.rule, fromRecommendation: rec.id },
    });
    expect(rule.status).toBe(201);
    await call("GET", `${R}/routing/recommendations`, v); // appliedAs: the rule's id now
    await call("GET", `${R}/routing/rules`, v);
    await call("DELETE", `${R}/routing/rules/{ruleId}`, { ...v, ruleId: rule.body.id });
    const experiment = await call<{ id: string }>("POST", `${R}/routing/experiments`, v, {
      json: {
        jobClass: records.body.records[0]!.jobClass,
        arms: { A: {}, B: { weights: { track: 2 }, rules: [{ factoryId: bad.factoryId, effect: "prefer" }] } },
        guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.95 },
      },
    });
    const ex = { ...v, experimentId: experiment.body.id };
    await call("GET", `${R}/routing/experiments`, v);
    await call("GET", `${R}/routing/experiments/{experimentId}`, ex);
    await call("POST", `${R}/routing/experiments/{experimentId}/stop`, ex);

    // One failure more than the budget: the bad factory is quarantined, with an alert and an automatic lesson.
    await call("PATCH", `${R}/settings`, v, { json: { errorBudget: { maxFailures: 1 } } });
    await runJobs(productId, bad.token, [false], 0.05);
    const alerts = await call<{ alerts: Array<{ id: string; kind: string }> }>("GET", `${R}/alerts`, v);
    const quarantined = alerts.body.alerts.find((a) => a.kind === "factory_quarantined");
    expect(quarantined).toBeDefined();
    await call("POST", `${R}/alerts/{alertId}/ack`, { ...v, alertId: quarantined!.id });
    await call("GET", `${R}/alerts?state=acknowledged`, v);
    await call("GET", `${R}/health`, v);
    const breakers = await call<{ breakers: Array<{ factoryId: string; engine: string }> }>("GET", `${R}/breakers`, v);
    expect(breakers.body.breakers.length).toBeGreaterThan(0);
    const [tripped] = breakers.body.breakers;
    const trippedKey = { factoryId: tripped!.factoryId, engine: tripped!.engine };
    await call("POST", `${R}/factories/{factoryId}/breakers/{engine}/reset`, { ...v, ...trippedKey });
    await call("POST", `${R}/factories/{factoryId}/release`, { ...v, factoryId: bad.factoryId });

    const hook = { url: "http://127.0.0.1:9/hook", secret: "a-secret-of-16-chars" };
    await call("PUT", `${R}/webhook`, v, { json: hook });
    await call("GET", `${R}/webhook`, v);
    await call("DELETE", `${R}/webhook`, v);

    const lesson = await call<{ id: string }>("POST", `${R}/lessons`, v, {
      json: { text: "run cargo fmt first", capabilities: ["lang:rust"], engine: "codex" },
    });
    await call("PATCH", `${R}/lessons/{lessonId}`, { ...v, lessonId: lesson.body.id }, { json: { archived: true } });
    // D1 holds the journal: it trails the coordinator, so the list is read once both lessons are there.
    const lessons = await until(
      () => call<{ items: unknown[] }>("GET", `${R}/lessons?archived=include`, v),
      (r) => r.body.items.length >= 2,
    );
    expect(lessons.body.items.length).toBeGreaterThanOrEqual(2);
    await call("POST", `${R}/routing/rebuild`, v);

    await call("PUT", `${R}/budget`, v, { json: { period: "day", ceilingUsd: 100, onExhausted: "pause" } });
    const metrics = await call<{ factories: unknown[] }>("GET", `${R}/metrics`, v);
    expect(metrics.body.factories).toHaveLength(2);
    const text = await call<string>("GET", `${R}/metrics?format=prometheus`, v);
    expect([text.status, text.headers.get("content-type")]).toEqual([200, "text/plain; version=0.0.4; charset=utf-8"]);
    await call("GET", `${R}/stats`, v);

    const ops = (...keys: string[]) => keys.map((k) => k.replace("R/", `${R}/`));
    expect([...seen.parsed].sort()).toEqual(
      ops(
        "DELETE R/routing/rules/{ruleId} 200",
        "DELETE R/webhook 200",
        "GET R/alerts 200",
        "GET R/breakers 200",
        "GET R/health 200",
        "GET R/lessons 200",
        "GET R/metrics 200",
        "GET R/routing/experiments 200",
        "GET R/routing/experiments/{experimentId} 200",
        "GET R/routing/recommendations 200",
        "GET R/routing/rules 200",
        "GET R/routing/track-records 200",
        "GET R/stats 200",
        "GET R/webhook 200",
        "PATCH R/lessons/{lessonId} 200",
        "PATCH R/settings 200",
        "POST R/alerts/{alertId}/ack 200",
        "POST R/factories/{factoryId}/breakers/{engine}/reset 200",
        "POST R/factories/{factoryId}/release 200",
        "POST R/lessons 201",
        "POST R/routing/experiments 201",
        "POST R/routing/experiments/{experimentId}/stop 200",
        "POST R/routing/rebuild 200",
        "POST R/routing/rules 201",
        "PUT R/budget 200",
        "PUT R/webhook 200",
      ).sort(),
    );
  });
});
