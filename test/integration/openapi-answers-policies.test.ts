// What the server answers about the fleet's money, health and learning is what the OpenAPI document says: two
// factories run 12 jobs each over HTTP (one failing them all at $0.05, one succeeding at $0.01), so track records,
// both kinds of recommendation, breakers and metrics have content; one more failure quarantines the bad factory
// (an alert, an automatic lesson), which is acknowledged and released; then health, the webhook, lessons, routing
// rules, a rebuild, an experiment, metrics (JSON and Prometheus) and stats are read and written — and every
// answer's status must be declared and its JSON body must parse with the declared schema, naming every field it has.
import { describe, expect, it } from "vitest";
import { api, claim, enroll, P, submit, until } from "./client";
import { checker, newChecked } from "./openapi-call";

const seen = newChecked();
const call = checker(seen);
const R = P("{productId}");
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
    const breakers = await call<{ breakers: unknown[] }>("GET", `${R}/breakers`, v);
    expect(breakers.body.breakers.length).toBeGreaterThan(0);
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
  }, 30_000);
});
