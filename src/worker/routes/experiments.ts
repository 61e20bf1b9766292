/**
 * @module worker/routes/experiments
 * Guarded routing experiments (issue 11 part 4; core/experiment, coordinator policies/experiments). Viewer and
 * above: `GET …/routing/experiments` (newest first) and `GET …/routing/experiments/{id}` — arms, counts, rates, the
 * decision and a bounded per-arm time series (≤ 120 points). Operator, audited: `POST …/routing/experiments` (start;
 * `routing.experiment.start`; 409 conflict when the class already has a live one, 429 limit_exceeded when
 * MAX_LIVE_EXPERIMENTS are live) and
 * `POST …/routing/experiments/{id}/stop` (`routing.experiment.stop`; `changed: false` when it was stopped already).
 * Unknown id → 404. A body the schema refuses, or
 * a success_rate margin ≥ 1 (a guardrail that could never trip; core/experiment-spec) → 400 `validation_failed`; two
 * arms with the same policy → 400 `identical_arms`.
 */
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import type { Arm, Experiment } from "../../core/experiment.ts";
import { ExperimentBody, ExperimentIdParam } from "../../shared/api-routing.ts";
import { type AppEnv, actorOf, openerOf, requireRole } from "../auth.ts";
import { body, noBody, noQuery, param } from "../validate.ts";

export const experiments = new Hono<AppEnv>();

/** Per arm: counted outcomes, successes, success rate (null before any), mean cost in USD (null before any). */
export function armView(e: Experiment, arm: Arm) {
  const { outcomes, cost } = e.counts[arm];
  return {
    policy: e.arms[arm],
    n: outcomes.n,
    successes: outcomes.sum,
    successRate: outcomes.n > 0 ? outcomes.sum / outcomes.n : null,
    costRuns: cost.n,
    meanCostUsd: cost.n > 0 ? cost.sum / cost.n : null,
  };
}

/** The wire view of an experiment: its spec, status, the arms with their rates, the decision and the series. */
export function experimentView(e: Experiment) {
  return {
    id: e.id,
    jobClass: e.jobClass,
    status: e.status,
    split: e.split,
    guardrail: e.guardrail,
    minSamples: e.minSamples,
    startedAt: e.startedAt,
    startedBy: e.startedBy,
    looks: e.looks,
    arms: { A: armView(e, "A"), B: armView(e, "B") },
    decision: e.decision ?? null,
    series: e.series,
  };
}

experiments.get("/routing/experiments", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  const all = await unwrap(c.get("coordinator").listExperiments(c.get("productId")));
  return c.json({ experiments: all.map(experimentView) });
});

experiments.get("/routing/experiments/:experimentId", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  const id = param(c, "experimentId", ExperimentIdParam);
  return c.json(experimentView(await unwrap(c.get("coordinator").getExperiment(c.get("productId"), id))));
});

experiments.post("/routing/experiments", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const spec = await body(c, ExperimentBody);
  const e = await unwrap(
    c.get("coordinator").startExperiment(c.get("productId"), spec, actorOf(principal), openerOf(c)),
  );
  return c.json(experimentView(e), 201);
});

experiments.post("/routing/experiments/:experimentId/stop", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  await noBody(c);
  const id = param(c, "experimentId", ExperimentIdParam);
  const { experiment, changed } = await unwrap(
    c.get("coordinator").stopExperiment(c.get("productId"), id, actorOf(principal), openerOf(c)),
  );
  return c.json({ ...experimentView(experiment), changed });
});
