/**
 * @module worker/openapi-ops-routing
 * The learned-routing operations of the OpenAPI document (issue 11 parts 1–4): track records, recommendations,
 * routing rules (prefer/avoid score adjustments, audited), the rebuild from D1 and guarded experiments. Bodies are shared/api-routing's.
 */
import { ExperimentBody, RuleBody } from "../shared/api-routing.ts";
import {
  ExperimentListSchema,
  ExperimentStopAnswerSchema,
  ExperimentViewSchema,
  RebuildSchema,
  RecommendationListSchema,
  RoutingRuleListSchema,
  RoutingRuleSchema,
  TrackRecordListSchema,
} from "../shared/api-routing-answers.ts";
import { TrackRecordsQuery } from "../shared/api-track-records.ts";
import { type Op, P } from "./openapi-ops.ts";
import { json } from "./openapi-schemas.ts";

export const ROUTING_OPS: Op[] = [
  {
    method: "get",
    path: `${P}/routing/track-records`,
    operationId: "listTrackRecords",
    summary: "Every stored track record",
    description:
      "Every stored track record: {records: [{factoryId, engine (* = the factory's default), jobClass, record: " +
      "{successes, failures (decayed), n, durationMs: {w, mean, m2}, costUsd: {w, mean, m2}, updatedAt}}]} — " +
      "half-life 7 days, updated at every run's end (cancelled, preempted, handed_back and fenced runs do not count, nor " +
      "a run the product's budget stopped and requeued; a run over its job's own budget counts as a failure at its cost). " +
      "factoryId: only that factory's records (another product's, or one without records: []); perFactory " +
      "(1–100): each factory's N records with the most runs (n), ties by engine|jobClass — what the fleet cards " +
      "show. No query: every record (≤ 5,000)",
    role: "viewer",
    query: TrackRecordsQuery,
    ok: { "200": json("The track records", TrackRecordListSchema) },
  },
  {
    method: "get",
    path: `${P}/routing/recommendations`,
    operationId: "listRoutingRecommendations",
    summary: "Routing findings with their evidence",
    description:
      "Findings with evidence: {recommendations: [{id, kind: failure_rate|cost, factoryId, engine, jobClass, " +
      "message, evidence, rule, appliedAs: ruleId|null}]}. failure_rate: n ≥ 10 on both sides and ≥ 15 points " +
      "worse than the same engine and class elsewhere (beyond its 95 % interval); cost: ≥ 2× the median of the " +
      "other factories on the same class",
    role: "viewer",
    ok: { "200": json("The findings", RecommendationListSchema) },
  },
  {
    method: "get",
    path: `${P}/routing/rules`,
    operationId: "listRoutingRules",
    summary: "The routing rules in force",
    description:
      "The routing rules in force: {rules: [{id, factoryId, engine?, jobClass?, effect: prefer|avoid, reason, " +
      "fromRecommendation?, createdAt, createdBy}]}",
    role: "viewer",
    ok: { "200": json("The rules", RoutingRuleListSchema) },
  },
  {
    method: "post",
    path: `${P}/routing/rules`,
    operationId: "addRoutingRule",
    summary: "Add a routing rule: prefer or avoid a factory (201)",
    description:
      "Add a routing rule (201, the rule): prefer or avoid a factory for an engine and/or job class. A score " +
      "adjustment of ±2 shown in explain, never a hard filter. At most 200 rules (429 limit_exceeded). Audited " +
      "`routing.rule.add`; a dispatch pass follows. 404 for an unknown factory; 409 conflict for a revoked one (the " +
      "rule could never apply), or (details.ruleId) when a rule with the same factory, engine, job class and effect " +
      "is in force (a recommendation applied twice) or its exact opposite is (the two would cancel out), or when the rule would make a running experiment's two arms " +
      "route alike",
    role: "operator",
    body: RuleBody,
    ok: { "201": json("The rule", RoutingRuleSchema) },
  },
  {
    method: "delete",
    path: `${P}/routing/rules/{ruleId}`,
    operationId: "removeRoutingRule",
    summary: "Remove a routing rule (answers the rule as it was)",
    description:
      "Remove a routing rule (answers the rule as it was); 404 for an unknown id; 409 conflict when removing it " +
      "would make a running experiment's two arms route alike (stop the experiment first). Audited `routing.rule.remove`",
    role: "operator",
    ok: { "200": json("The rule as it was", RoutingRuleSchema) },
  },
  {
    method: "post",
    path: `${P}/routing/rebuild`,
    operationId: "rebuildTrackRecords",
    summary: "Rebuild the track records from the D1 runs history",
    description:
      "Rebuild the track records from the D1 runs history: {counted, skipped (runs whose job the coordinator no " +
      "longer holds, or whose factory was deregistered), chunks}. Replayed in chunks of 500 runs. Audited `routing.rebuild`. Runs that ended in the " +
      "last second — the last minute while the coordinator is loaded — may not be in D1 yet, and are not counted; " +
      "one that ends during the rebuild is counted once. 409 conflict when a rebuild started meanwhile stops this one",
    role: "operator",
    ok: { "200": json("What the rebuild counted", RebuildSchema) },
  },
  {
    method: "get",
    path: `${P}/routing/experiments`,
    operationId: "listExperiments",
    summary: "Every stored experiment, newest first",
    description: "Every stored experiment, newest first: {experiments: [the view of GET …/routing/experiments/{id}]}",
    role: "viewer",
    ok: { "200": json("The experiments", ExperimentListSchema) },
  },
  {
    method: "get",
    path: `${P}/routing/experiments/{experimentId}`,
    operationId: "getExperiment",
    summary: "One experiment, its arms and its looks",
    description:
      "One experiment: {id, jobClass, status: running|concluded|stopped, split, guardrail, minSamples, startedAt, " +
      "startedBy, looks, arms: " +
      "{A, B: {policy, n, successes, successRate, costRuns, meanCostUsd}}, decision: {at, by: guardrail|operator, " +
      "winner?, loser?, look?, level?, z?, reason}|null, series: [{at, A: {n, successes}, B}] (≤ 120 points)}. 404 " +
      "for an unknown id",
    role: "viewer",
    ok: { "200": json("The experiment", ExperimentViewSchema) },
  },
  {
    method: "post",
    path: `${P}/routing/experiments`,
    operationId: "startExperiment",
    summary: "Start an A/B between two routing policies for a job class (201)",
    description:
      "Start an A/B between two routing policies (weights and/or prefer/avoid rules) for a job class (201, the " +
      "view). Jobs are assigned by a hash of their id against `split`, and each job is one outcome in its arm (its " +
      "first counted run; retries are not counted); after `minSamples` per arm, every 10th " +
      "outcome is a look tested with Bonferroni alpha spending (false-positive rate ≤ 1 − confidence); when one " +
      "arm is worse by more than `margin`, the experiment concludes and the winner routes the class until stopped. " +
      "`split` is strictly between 0 and 1; a success_rate `margin` ≥ 1 could never trip: 400 validation_failed " +
      "(reason margin_out_of_range); two arms with the same policy (both `{}` too, or a weight or prefer the " +
      "product already has) would compare a policy with itself: " +
      "400 identical_arms. The job class is stored as jobs spell it (capabilities sorted). " +
      "409 conflict when the class has a live experiment; 429 limit_exceeded when 20 are live (running or " +
      "concluded: stop one); 404 for an unknown factory, 409 for a revoked one. Audited " +
      "`routing.experiment.start`; deregistering or revoking a factory an arm names stops it",
    role: "operator",
    body: ExperimentBody,
    ok: { "201": json("The experiment's view", ExperimentViewSchema) },
  },
  {
    method: "post",
    path: `${P}/routing/experiments/{experimentId}/stop`,
    operationId: "stopExperiment",
    summary: "Stop an experiment (idempotent)",
    description:
      "Stop an experiment (the view): a running one ends without a winner, a concluded one's winner stops routing " +
      "the class. Stopping a stopped one answers `changed: false` and keeps its first stop (decision, time; not " +
      "audited again). 404 for an unknown id. Audited `routing.experiment.stop`",
    role: "operator",
    ok: { "200": json("The experiment's view, stopped, and whether this call stopped it", ExperimentStopAnswerSchema) },
  },
];
