/**
 * @module shared/api-routing-answers
 * What the learned-routing operations answer (issue 11), as zod schemas: track records, recommendations with their
 * evidence, routing rules, a rebuild's counts and guarded experiments' views. The requests' schemas are in
 * shared/api-routing; each answer is checked at compile time to infer exactly what its route answers with
 * (worker/openapi-answer-types).
 */
import { z } from "zod";
import { CHANGED } from "./api.ts";

const ms = z.number().int().describe("ms epoch");
const count = z.number().int();
const effect = z.enum(["prefer", "avoid"]);

/** An exponentially-weighted mean and variance: `w` the decayed weight, `m2` the weighted squared deviations. */
const EwmSchema = z.object({ w: z.number(), mean: z.number(), m2: z.number() });

/** One (factory, engine, job class)'s record (core/track-record `TrackRecord`), decayed from `updatedAt`. */
export const TrackRecordSchema = z.object({
  successes: z.number().describe("decayed"),
  failures: z.number().describe("decayed"),
  n: count.describe("runs counted, undecayed"),
  durationMs: EwmSchema,
  costUsd: EwmSchema.describe("of the runs that reported a cost"),
  updatedAt: ms,
});

/** `GET …/routing/track-records`. */
export const TrackRecordListSchema = z.object({
  records: z.array(
    z.object({
      factoryId: z.string(),
      engine: z.string().describe("* = the factory's default engine"),
      jobClass: z.string(),
      record: TrackRecordSchema,
    }),
  ),
});

/** A finding with its evidence (core/recommendations `Finding`) and the rule applied from it, if any. */
export const RecommendationSchema = z.object({
  id: z.string(),
  kind: z.enum(["failure_rate", "cost"]),
  factoryId: z.string(),
  engine: z.string(),
  jobClass: z.string(),
  message: z.string(),
  evidence: z.record(z.string(), z.number()),
  rule: z.object({
    factoryId: z.string(),
    engine: z.string().optional(),
    jobClass: z.string().optional(),
    effect,
    reason: z.string(),
  }),
  appliedAs: z.string().nullable().describe("the id of the rule applied from it"),
});

/** `GET …/routing/recommendations`. */
export const RecommendationListSchema = z.object({ recommendations: z.array(RecommendationSchema) });

/** A routing rule (core/routing-rules `RoutingRule`): `POST` (201) and `DELETE` answer it. */
export const RoutingRuleSchema = z.object({
  id: z.string(),
  factoryId: z.string(),
  engine: z.string().optional().describe("absent: every engine; * = the factory's default"),
  jobClass: z.string().optional().describe("absent: every job class"),
  effect,
  reason: z.string(),
  fromRecommendation: z.string().optional(),
  createdAt: ms,
  createdBy: z.string(),
});

/** `GET …/routing/rules`. */
export const RoutingRuleListSchema = z.object({ rules: z.array(RoutingRuleSchema) });

/** `POST …/routing/rebuild`. */
export const RebuildSchema = z.object({
  counted: count,
  skipped: count.describe("runs whose job the coordinator no longer holds, or whose factory was deregistered"),
  chunks: count,
});

const ArmPolicySchema = z.object({
  weights: z
    .object({
      capabilityFit: z.number().optional(),
      affinity: z.number().optional(),
      load: z.number().optional(),
      costFit: z.number().optional(),
      health: z.number().optional(),
      starvation: z.number().optional(),
      track: z.number().optional(),
    })
    .optional(),
  rules: z.array(z.object({ factoryId: z.string(), engine: z.string().optional(), effect })).optional(),
});

const ArmViewSchema = z.object({
  policy: ArmPolicySchema,
  n: count.describe("counted outcomes"),
  successes: count,
  successRate: z.number().nullable().describe("null before any outcome"),
  costRuns: count,
  meanCostUsd: z.number().nullable().describe("null before any run reported a cost"),
});

const armCounts = z.object({ n: count, successes: count });

/** `GET …/routing/experiments/{id}` (worker/routes/experiments `experimentView`), and every experiment operation. */
export const ExperimentViewSchema = z.object({
  id: z.string(),
  jobClass: z.string(),
  status: z.enum(["running", "concluded", "stopped"]),
  split: z.number().describe("the fraction routed by arm B"),
  guardrail: z.object({ metric: z.enum(["success_rate", "cost"]), margin: z.number(), confidence: z.number() }),
  minSamples: count,
  startedAt: ms,
  startedBy: z.string(),
  looks: count,
  arms: z.object({ A: ArmViewSchema, B: ArmViewSchema }),
  decision: z
    .object({
      at: ms,
      by: z.enum(["guardrail", "operator"]),
      winner: z.enum(["A", "B"]).optional(),
      loser: z.enum(["A", "B"]).optional(),
      look: count.optional(),
      level: z.number().optional(),
      z: z
        .number()
        .optional()
        .describe("the look's statistic: Agresti–Caffo (success_rate) or Welch's t (cost); absent when infinite"),
      reason: z.string(),
    })
    .nullable(),
  series: z
    .array(z.object({ at: ms, A: armCounts, B: armCounts }))
    .describe("cumulative counts per arm (≤ 120 points)"),
});

/** `GET …/routing/experiments`: newest first. */
export const ExperimentListSchema = z.object({ experiments: z.array(ExperimentViewSchema) });

/** `POST …/routing/experiments/{id}/stop`: the view, and whether this call stopped it (false: stopped already). */
export const ExperimentStopAnswerSchema = ExperimentViewSchema.extend(CHANGED);
