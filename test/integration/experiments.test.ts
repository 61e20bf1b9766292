// Guarded routing experiments in workerd (issue 11 part 4): two factories with different failure rates; an
// experiment whose arm A prefers the better factory and arm B the worse one. Each job is routed by its arm (explain's
// top candidate carries the arm's rule), runs are reported over HTTP by the factory it ranked first, and the
// guardrail concludes the experiment with B the loser; `GET …/routing/experiments/{id}` shows arms, counts, rates,
// the decision and the series; the conclusion and the operator's start/stop are audited; explain of a later job of
// the class shows the winner's rule; stopping retires it. Also: a second live experiment for the class is a 409, an
// unknown id a 404, a bad body a 400, a viewer may not start one; the OpenAPI document lists the operations.
// An arm may not set the starvation weight (it orders the product's one queue, never one arm's jobs), and explain
// shows the product's starvation weight and the urgency the queue uses even for an arm stored with one.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, P, submit } from "./client";
import { historyUntil } from "./history-wait.ts";

const CAPS = ["engine:codex", "lang:rust"];
const MANIFEST = { engine: "codex", requires: ["lang:rust"] };

type Cand = { factoryId: string; rules?: { adjustment: number; rules: Array<{ id: string; reason: string }> } };
type Explain = {
  ranked: Cand[];
  routingPolicy: { experimentId: string; arm: string; as: string } | null;
  weights: { starvation: number; track: number };
  urgency: number;
};
type ArmView = { n: number; successes: number; successRate: number | null };
type View = {
  id: string;
  status: string;
  arms: { A: ArmView; B: ArmView };
  decision: { by: string; winner?: string; loser?: string; look?: number; z?: number } | null;
  series: Array<{ at: number; A: { n: number }; B: { n: number } }>;
};

const explain = async (product: string, jobId: string) =>
  (await api<Explain>("GET", `${P(product)}/jobs/${jobId}/explain`, { token: ADMIN })).body;

describe("guarded experiments", () => {
  it("routes each job by its arm, stops the worse arm by the guardrail, and the winner shows in explain", async () => {
    const product = "routing-experiment";
    const settings = { breaker: { failureThreshold: 1000 }, errorBudget: { maxFailures: 100_000 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const good = await enroll(product, "good", CAPS);
    const bad = await enroll(product, "bad", CAPS);
    await claim(product, good.token); // nothing queued yet: each factory's first contact makes it healthy
    await claim(product, bad.token);
    const tokens = new Map([
      [good.factoryId, good.token],
      [bad.factoryId, bad.token],
    ]);
    const spec = {
      jobClass: "lang:rust",
      arms: {
        A: { rules: [{ factoryId: good.factoryId, effect: "prefer" }] },
        B: { rules: [{ factoryId: bad.factoryId, effect: "prefer" }] },
      },
      split: 0.5,
      guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.9 },
      minSamples: 5,
    };
    const started = await api<View>("POST", `${P(product)}/routing/experiments`, { token: ADMIN, json: spec });
    expect(started.status).toBe(201);
    const id = started.body.id;
    expect(started.body).toMatchObject({ status: "running", decision: null });
    expect((await api("POST", `${P(product)}/routing/experiments`, { token: ADMIN, json: spec })).status).toBe(409);
    expect((await api("POST", `${P(product)}/routing/experiments`, { token: good.token, json: spec })).status).toBe(
      403,
    );
    const badBody = { ...spec, split: 2 };
    expect((await api("POST", `${P(product)}/routing/experiments`, { token: ADMIN, json: badBody })).status).toBe(400);
    expect((await api("GET", `${P(product)}/routing/experiments/ex_nope`, { token: ADMIN })).status).toBe(404);

    // good fails 1 run in 10, bad 7 in 10 (deterministic patterns); at most 80 jobs.
    const ran = { [good.factoryId]: 0, [bad.factoryId]: 0 };
    let view = started.body;
    for (let i = 0; i < 80 && view.status === "running"; i++) {
      const job = await submit(product, { title: `rust ${i}`, ...MANIFEST });
      const why = await explain(product, job.id);
      const top = why.ranked[0] as Cand;
      expect(top.rules?.rules[0]?.reason).toBe(`experiment ${id} arm ${why.routingPolicy?.arm}`);
      expect(why.routingPolicy).toMatchObject({ experimentId: id, as: "arm" });
      const token = tokens.get(top.factoryId) as string;
      const c = await claim(product, token);
      expect(c.body.job.id).toBe(job.id);
      const k = ran[top.factoryId] ?? 0;
      ran[top.factoryId] = k + 1;
      const ok = top.factoryId === good.factoryId ? k % 10 !== 9 : k % 10 >= 7;
      const path = `${P(product)}/jobs/${job.id}`;
      const epoch = c.body.lease.leaseEpoch;
      await api("PATCH", path, { token, json: { leaseEpoch: epoch, stage: "building" } });
      const end = ok
        ? { stage: "testing", result: { outcome: "success", rc: 0 } }
        : { stage: "failed", result: { outcome: "failure", rc: 1, retryable: false } };
      expect((await api("PATCH", path, { token, json: { leaseEpoch: epoch, ...end } })).status).toBe(200);
      view = (await api<View>("GET", `${P(product)}/routing/experiments/${id}`, { token: ADMIN })).body;
    }
    expect(view.status).toBe("concluded");
    expect(view.decision).toMatchObject({ by: "guardrail", winner: "A", loser: "B" });
    expect(view.arms.A.n).toBeGreaterThanOrEqual(5);
    expect(view.arms.B.n).toBeGreaterThanOrEqual(5);
    expect(view.arms.A.n + view.arms.B.n).toBe((ran[good.factoryId] ?? 0) + (ran[bad.factoryId] ?? 0));
    expect(view.arms.A.successRate as number).toBeGreaterThan(view.arms.B.successRate as number);
    expect(view.series.at(-1)).toMatchObject({ A: { n: view.arms.A.n }, B: { n: view.arms.B.n } });
    const listed = await api<{ experiments: View[] }>("GET", `${P(product)}/routing/experiments`, { token: ADMIN });
    expect(listed.body.experiments.map((e) => e.id)).toEqual([id]);

    // The winner routes the whole class now: every later job's top candidate is the good factory, by arm A's rule.
    for (let i = 0; i < 3; i++) {
      const later = await submit(product, { title: `later ${i}`, ...MANIFEST });
      const why = await explain(product, later.id);
      const top = why.ranked[0] as Cand;
      expect(top.factoryId).toBe(good.factoryId);
      expect(top.rules).toMatchObject({ adjustment: 2, rules: [{ id: `${id}/A/0` }] });
      expect(why.routingPolicy).toEqual({ experimentId: id, arm: "A", as: "winner" });
    }
    const probe = await submit(product, { title: "probe", ...MANIFEST });
    const stopped = await api<View>("POST", `${P(product)}/routing/experiments/${id}/stop`, { token: ADMIN });
    expect(stopped.body).toMatchObject({ status: "stopped", decision: { by: "guardrail", winner: "A" } });
    const retired = await explain(product, probe.id);
    expect(retired.routingPolicy).toBeNull();
    for (const c of retired.ranked) expect(c.rules).toBeUndefined();

    // All three waited for: the last one's arrival says nothing of the others' (test/integration/history-wait).
    const audit = await historyUntil<{ action: string; target: string }>(
      product,
      "audit",
      (items) => items.filter((a) => a.action.startsWith("routing.experiment")).length >= 3,
    );
    expect(audit.body.items.filter((a) => a.action.startsWith("routing.experiment"))).toEqual([
      expect.objectContaining({ action: "routing.experiment.start", target: id }),
      expect.objectContaining({ action: "routing.experiment.conclude", target: id }),
      expect.objectContaining({ action: "routing.experiment.stop", target: id }),
    ]);
  });

  it("the OpenAPI document lists the experiment operations with the start body", async () => {
    type Doc = { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    const doc = (await api<Doc>("GET", "/api/v1/openapi.json")).body;
    const base = "/api/v1/products/{productId}/routing/experiments";
    const paths = Object.keys(doc.paths).filter((k) => k.includes("/routing/experiments"));
    expect(paths.sort()).toEqual([base, `${base}/{experimentId}`, `${base}/{experimentId}/stop`]);
    expect(doc.paths[base]?.post?.requestBody).toBeDefined();
  });

  it("an arm may not set starvation; explain uses the product's, as the queue does, even for an arm stored with one", async () => {
    const product = "routing-experiment-starvation";
    await enroll(product, "only", CAPS);
    const arms = { A: { weights: { track: 0 } }, B: { weights: { track: 3 } } };
    const spec = { jobClass: "lang:rust", arms, guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.9 } };
    const refused = await api<{ detail: string }>("POST", `${P(product)}/routing/experiments`, {
      token: ADMIN,
      json: { ...spec, arms: { ...arms, B: { weights: { starvation: 9 } } } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toMatch(/starvation/);
    const started = await api<View>("POST", `${P(product)}/routing/experiments`, { token: ADMIN, json: spec });
    expect(started.status).toBe(201);
    // An experiment stored before the refusal existed: both arms carry a starvation weight.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const row = state.storage.sql.exec<{ doc: string }>("SELECT doc FROM experiments").one();
      const doc = JSON.parse(row.doc) as { arms: Record<"A" | "B", { weights?: Record<string, number> }> };
      for (const arm of ["A", "B"] as const) doc.arms[arm].weights = { ...doc.arms[arm].weights, starvation: 9 };
      state.storage.sql.exec("UPDATE experiments SET doc = ?", JSON.stringify(doc));
    });
    const job = await submit(product, { title: "an arm's job", priority: "low", ...MANIFEST });
    const why = await explain(product, job.id);
    expect(why.routingPolicy).toMatchObject({ as: "arm" });
    expect(why.weights.track).toBe(why.routingPolicy?.arm === "A" ? 0 : 3);
    expect(why.weights.starvation).toBe(2.5); // the product's default, not the arm's 9
    expect(why.urgency).toBeGreaterThan(-2.5 - 1e-9); // low (0) − 2.5 × at most 1
  });
});
