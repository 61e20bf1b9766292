/**
 * @module shared/api-routing
 * The wire format of learned routing (issue 11): `POST …/routing/rules` and the rule id of `DELETE
 * …/routing/rules/{id}` — zod schemas shared by the Worker's routes, the OpenAPI document and the CLI. Strict: an
 * unknown key is a 400.
 */
import { z } from "zod";
import { utf8Text } from "../core/bytes.ts";
import { RULE_REASON_MAX_BYTES } from "../core/routing-rules.ts";
import { WeightsPatchSchema } from "../core/settings.ts";
import { EntityId } from "./api.ts";
import { plainText } from "./plain-text.ts";

/** Same spelling as a manifest's `engine`, or `*` (the factory's default engine, for jobs that name none). */
const Engine = z.union([z.literal("*"), z.string().regex(/^[a-z0-9][a-z0-9._-]{0,31}$/)], {
  error: "must be an engine name like claude, or *",
});

/** One capability of a class (shared/api `Capability`) and the manifest's `class:` label (core/manifest-schema). */
const CLASS_CAP = "[A-Za-z0-9][A-Za-z0-9._:/+-]{0,63}";
const CLASS_LABEL = "class:[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}";

/**
 * A job class as core/track-record `jobClassOf` spells it (`lang:rust,os:linux|class:docs`, `class:docs`, `-`), the
 * capabilities in any order: only a shape some job can have — `lang:rust|docs` (a label without `class:`) or `,`
 * would be stored and never match a job: an experiment running unguarded for ever, a rule that never applies.
 * 32 capabilities of 64 chars and a label fit in 2 400 chars.
 */
const JobClass = utf8Text(
  2_400,
  z.string().regex(new RegExp(`^(?:-|${CLASS_CAP}(?:,${CLASS_CAP})*(?:\\|${CLASS_LABEL})?|${CLASS_LABEL})$`), {
    error:
      "must be a job class: capabilities joined by commas, then optionally |class:<label> (lang:rust|class:docs), or -",
  }),
);

/** A routing rule id as the coordinator mints them (`rr_…`, runtime/tx newId). */
export const RuleIdParam = z.string().regex(/^rr_[A-Za-z0-9_-]{1,60}$/, { error: "must be a rule id (rr_…)" });

/** A recommendation id (core/recommendations `findingId`). */
export const RecommendationId = z.string().regex(/^rec_[0-9a-f]{8}$/, { error: "must be a recommendation id" });

/** `POST …/routing/rules`: prefer or avoid a factory, for one engine and/or one job class, or for all. */
export const RuleBody = z
  .object({
    factoryId: EntityId,
    engine: Engine.optional(),
    jobClass: JobClass.optional(),
    effect: z.enum(["prefer", "avoid"]),
    reason: utf8Text(RULE_REASON_MAX_BYTES, plainText(z.string().trim().min(1))), // core/routing-rules: the one place
    fromRecommendation: RecommendationId.optional(),
  })
  .strict();
export type RuleBodyT = z.infer<typeof RuleBody>;

/** An experiment id as the coordinator mints them (`ex_…`, runtime/tx newId). */
export const ExperimentIdParam = z
  .string()
  .regex(/^ex_[A-Za-z0-9_-]{1,60}$/, { error: "must be an experiment id (ex_…)" });
/**
 * One arm: a weights override and/or up to 20 prefer/avoid rules scoped to the experiment's class. Not `starvation`:
 * it orders the product's one queue (dispatch/urgency-order), so an arm's value could never apply to its own jobs.
 */
const ARM_STARVATION =
  "an arm cannot set starvation: it orders the whole product's queue; set it in the product's settings";
const ArmPolicyBody = z
  .object({
    // z.never, not a refine: JSON Schema keeps it (`not: {}`), so the OpenAPI document refuses what the route does.
    weights: WeightsPatchSchema.extend({
      starvation: z.never({ error: ARM_STARVATION }).optional().describe(ARM_STARVATION),
    }).optional(),
    rules: z
      .array(z.object({ factoryId: EntityId, engine: Engine.optional(), effect: z.enum(["prefer", "avoid"]) }).strict())
      .max(20)
      .optional(),
  })
  .strict();

/**
 * `POST …/routing/experiments`: an A/B between two routing policies for one job class. `split`: the fraction routed
 * by B, strictly between 0 and 1. `guardrail.margin`: a rate difference (0–1) or USD per run; `confidence`: 1 − the false-positive rate.
 * `minSamples`: counted outcomes per arm before the first look (default 20; 5–10 000).
 */
export const ExperimentBody = z
  .object({
    jobClass: JobClass,
    arms: z.object({ A: ArmPolicyBody, B: ArmPolicyBody }).strict(),
    // Strictly between: at 0 or 1 one arm never gets a job, so the guardrail never looks and the experiment runs unguarded.
    split: z.number().gt(0).lt(1).default(0.5),
    guardrail: z
      .object({
        metric: z.enum(["success_rate", "cost"]),
        margin: z.number().min(0).max(1_000),
        confidence: z.number().min(0.5).max(0.9999),
      })
      .strict(),
    minSamples: z.number().int().min(5).max(10_000).default(20),
  })
  .strict();
export type ExperimentBodyT = z.infer<typeof ExperimentBody>;
