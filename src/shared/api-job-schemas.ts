/**
 * @module shared/api-job-schemas
 * A job as the API answers with it, as zod schemas: whole, with its waiting reason, summarised and paged; a factory's
 * claim (job, lease, lessons, allowance) and a composite's children. Out of shared/api-responses, which ties each to
 * the type its route answers with (`RESPONSE_TYPES_MATCH`) and re-exports them.
 */
import { z } from "zod";
import { ManifestInputSchema } from "../core/manifest-schema.ts";
import { PRIORITIES, STAGES } from "../core/model.ts";
import { WaitingReasonSchema } from "./api-policies.ts";

const ms = z.number().int().describe("ms epoch");

/** How a run ended (core/model `RunResult`): a job's `lastResult`, a run's `result`. */
export const RunResultSchema = z.object({
  rc: z.number().int().optional(),
  outcome: z.enum([
    "success",
    "failure",
    "budget_exceeded",
    "timeout",
    "cancelled",
    "preempted",
    "handed_back",
    "fenced",
    "rate_limited",
  ]),
  message: z.string().optional(),
  retryable: z.boolean().optional(),
  retryAfterSeconds: z.number().optional(),
});

/** What a run reported it spent and changed (core/model `Insights`): a run's `insights`. */
export const RunInsightsSchema = z.object({
  tokensIn: z.number().optional(),
  tokensOut: z.number().optional(),
  costUsd: z.number().optional(),
  unpricedTokens: z.number().optional(),
  baseTokens: z.number().optional().describe("of tokensIn, a resumed run's earlier engines' (in + out, split unknown)"),
  estimatedUsd: z
    .number()
    .optional()
    .describe("a closed run's USD charged on top of costUsd for unpriced tokens at settings prices; absent: none"),
  diffStat: z.object({ files: z.number(), insertions: z.number(), deletions: z.number() }).optional(),
});

const ReviewSchema = z.object({
  reviewer: z.string(),
  reviewerName: z.string().optional(),
  verdict: z.enum(["approve", "reject"]),
  comment: z.string().optional(),
  note: z.string().optional(),
  at: ms,
  round: ms.optional().describe("the round it was given in: the job's queuedAt then"),
});

/** A job as stored (the claim and composite answers): `JobView` without its computed `waitingReason`. */
export const JobSchema = z.object({
  id: z.string(),
  productId: z.string(),
  title: z.string(),
  bodyMd: z.string(),
  manifest: ManifestInputSchema,
  stage: z.enum(STAGES),
  priority: z.enum(PRIORITIES),
  requires: z.array(z.string()),
  prefers: z.array(z.string()),
  engine: z.string().optional(),
  repo: z.string().optional(),
  budget: z.object({ usd: z.number().optional(), wallSeconds: z.number().optional(), tokens: z.number().optional() }),
  deps: z.array(z.string()),
  depsMode: z.enum(["all", "any"]),
  parentId: z.string().optional(),
  kind: z.enum(["task", "composite"]),
  idempotencyKey: z.string().optional(),
  rev: z.number().int(),
  leaseEpoch: z.number().int(),
  checkpoint: z
    .object({ branch: z.string().optional(), sha: z.string().optional(), note: z.string().optional(), at: ms })
    .optional(),
  progress: z.object({ pct: z.number().optional(), note: z.string().optional() }).optional(),
  attempt: z.number().int(),
  maxAttempts: z.number().int(),
  serialKey: z.string().optional(),
  holderFactoryId: z.string().optional(),
  leaseExpiresAt: ms.optional(),
  leaseStopsBy: ms
    .optional()
    .describe(
      "the latest its holder's agent runs the engine if it hears nothing more: a lost lease holds the serial key until then",
    ),
  lastResult: RunResultSchema.optional(),
  notBefore: ms.optional(),
  reviews: z.array(ReviewSchema).optional(),
  rejectedBy: z.array(z.string()).optional(),
  feedback: z.string().optional(),
  preemptedAt: ms.optional(),
  preemptedBy: z.string().optional(),
  lastEvictionAt: ms.optional(),
  createdAt: ms,
  updatedAt: ms,
  queuedAt: ms,
  waitingSince: ms
    .optional()
    .describe("when its current wait began, if before queuedAt: a lost lease or a rate limit requeued it"),
});

/** `GET …/jobs/{id}`, `POST …/jobs`, an action's answer: the job with its waiting reason (null while it runs or once terminal). */
export const JobViewSchema = JobSchema.extend({ waitingReason: WaitingReasonSchema.nullable() });

/** A job in a list: without `bodyMd`. */
export const JobSummarySchema = JobViewSchema.omit({ bodyMd: true });

/** `GET …/jobs`: summaries, or whole jobs (with `bodyMd`) under `fields=full`. */
export const JobPageSchema = z.object({
  jobs: z.array(JobSummarySchema.extend({ bodyMd: z.string().optional().describe("with fields=full only") })),
  nextCursor: z.string().optional(),
});

/** A lesson an assignment carries (core/lessons). */
const LessonRefSchema = z.object({ id: z.string(), text: z.string() });

/** A live lease as its factory sees it: `POST …/claim`, `…/lease/renew`, the heartbeat's leases. */
export const LeaseSchema = z.object({
  jobId: z.string(),
  leaseEpoch: z.number().int(),
  expiresAt: ms,
  ttlSeconds: z.number(),
});

/** What is left of a job's budget for the run an assignment starts (core/job-budget `JobAllowance`). */
const JobAllowanceSchema = z
  .object({
    usd: z.number().min(0).optional().describe("USD this run may spend: the job's budget.usd less its earlier runs'"),
    tokens: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("tokens (in + out) this run may use: the job's budget.tokens less its earlier runs'"),
  })
  .describe(
    "What is left of the job's budget.usd / budget.tokens (they bound the whole job, every run summed): stop the " +
      "run past it. Absent when the job sets neither limit.",
  );

/**
 * `POST …/claim` (200; 204 with no body when no job fits): the job, its lease, the lessons its assignment carries
 * and its `allowance` (what is left of the job's usd/tokens budget after its earlier runs).
 */
export const ClaimSchema = z.object({
  job: JobSchema,
  lease: LeaseSchema,
  lessons: z.array(LessonRefSchema),
  allowance: JobAllowanceSchema.optional(),
});

/** `POST …/jobs/{id}/children` (201, or 200 on a replay): the parent and its children in the request's order. */
export const ChildrenAnswerSchema = z.object({ parent: JobSchema, children: z.array(JobSchema) });
