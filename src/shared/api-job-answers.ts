/**
 * @module shared/api-job-answers
 * What the API answers about one job beyond its document, as zod schemas: its router's explanation (`…/explain`),
 * runs, event log page, artifacts, composite subtree (`…/tree`) and review gate (`…/reviews`). Each is checked at
 * compile time to be what its route answers (worker/openapi-answer-types): the OpenAPI document cannot drift from it.
 */
import { z } from "zod";
import { LOSS_KINDS } from "../core/exclusions.ts";
import { PRIORITIES, STAGES } from "../core/model.ts";
import { RunInsightsSchema } from "./api-job-schemas.ts";
import { WaitingReasonSchema } from "./api-policies.ts";
import { JobSchema, RunResultSchema, WeightsSchema } from "./api-responses.ts";
import { FEED_EVENT_TYPES } from "./protocol.ts";

const ms = z.number().int().describe("ms epoch");

// ---- explain ----

const TermScoreSchema = z.object({
  raw: z.number(),
  weight: z.number(),
  contribution: z.number().describe("weight × raw (− for starvation; weight × (raw − 0.5) for track)"),
});

/** The learned term's evidence for one candidate (core/track-term `TrackEvidence`). */
export const TrackEvidenceSchema = z.object({
  raw: z.number().describe("in [0, 1]; 0.5 (neutral) below routing.minSamples"),
  jobClass: z.string(),
  engine: z.string(),
  n: z.number().int().describe("runs counted (undecayed)"),
  effectiveN: z.number().optional().describe("their decayed weight in whole runs"),
  neutral: z.boolean(),
  successRate: z.number().optional(),
  ci95: z.tuple([z.number(), z.number()]).optional(),
  costUsd: z.number().optional(),
  durationMinutes: z.number().optional(),
});

/** The routing rules that match a candidate and their summed score adjustment (core/routing-rules `RuleEvidence`). */
export const RuleEvidenceSchema = z.object({
  rules: z.array(z.object({ id: z.string(), effect: z.enum(["prefer", "avoid"]), reason: z.string() })),
  adjustment: z.number(),
});

/** One factory as the router scored it for the job (core/router `Candidate`). */
export const CandidateSchema = z.object({
  factoryId: z.string(),
  factoryName: z.string(),
  eligible: z.boolean(),
  reasons: z.array(z.string()).describe("every filter the factory failed (empty when eligible)"),
  score: z.number(),
  terms: z.object({
    capabilityFit: TermScoreSchema,
    affinity: TermScoreSchema,
    load: TermScoreSchema,
    costFit: TermScoreSchema,
    health: TermScoreSchema,
    starvation: TermScoreSchema,
    track: TermScoreSchema,
  }),
  exclusion: z.object({ kind: z.enum(LOSS_KINDS), strikes: z.number().int(), until: ms }).optional(),
  track: TrackEvidenceSchema,
  rules: RuleEvidenceSchema.optional(),
  trial: z
    .literal(true)
    .optional()
    .describe(
      "a run here would be the factory's half-open breaker trial: ranked after every eligible closed factory (half-open: trial only when no closed host can take it)",
    ),
});

/** A factory the router refused for the job (shared/responses `RejectedCandidate`). */
export const RejectedCandidateSchema = CandidateSchema.extend({
  disconnectedAt: ms
    .nullable()
    .optional()
    .describe(
      "refused factory_disconnected only: when its link ended (ms epoch), the fleet view's disconnectedAt; null when no end was seen",
    ),
});

/** A factory that lost the job's lease and is remembered for it (core/exclusions `Exclusion`). */
export const ExclusionSchema = z.object({
  jobId: z.string(),
  factoryId: z.string(),
  strikes: z.number().int(),
  kind: z.enum(LOSS_KINDS),
  at: ms,
  until: ms.describe("in force while until > the explanation's at"),
});

const PreemptionViewSchema = z.object({
  preemptedAt: ms.nullable(),
  preemptedBy: z.string().nullable(),
  wouldPreempt: z
    .object({ victimId: z.string(), victimPriority: z.enum(PRIORITIES), factoryId: z.string() })
    .nullable(),
  notBecause: z
    .enum([
      "not_queued",
      "gated",
      "disabled",
      "not_critical",
      "free_seat_fits",
      "eviction_in_flight",
      "no_capable_factory",
      "no_eligible_victim",
    ])
    .nullable(),
});

/** `GET …/jobs/{id}/explain` (shared/responses `Explanation`): the router's decision for the job, term by term. */
export const ExplanationSchema = z.object({
  jobId: z.string(),
  stage: z.enum(STAGES),
  priority: z.enum(PRIORITIES),
  at: ms,
  weights: WeightsSchema,
  urgency: z.number(),
  holderFactoryId: z.string().nullable(),
  ranked: z.array(CandidateSchema),
  rejected: z.array(RejectedCandidateSchema),
  exclusions: z.array(ExclusionSchema),
  waitingReason: WaitingReasonSchema.nullable(),
  preemption: PreemptionViewSchema,
  routingPolicy: z
    .object({ experimentId: z.string(), arm: z.enum(["A", "B"]), as: z.enum(["arm", "winner"]) })
    .nullable()
    .describe("the guarded experiment whose policy ranks this job; weights already include it"),
});

// ---- runs, events, artifacts ----

/** One attempt of the job by one factory under one lease epoch (shared/responses `Run`). */
export const RunSchema = z.object({
  jobId: z.string(),
  attempt: z.number().int(),
  factoryId: z.string(),
  leaseEpoch: z.number().int(),
  engine: z.string().optional(),
  startedAt: ms,
  endedAt: ms.optional(),
  result: RunResultSchema.optional(),
  insights: RunInsightsSchema.optional(),
  spend: z
    .object({
      usd: z.number().describe("USD"),
      tokens: z.number().int().describe("tokens in + out"),
      unpricedTokens: z.number().int().optional().describe("of the tokens, those no USD came for; absent: none"),
      estimatedUsd: z.number().optional().describe("USD charged beyond usd at settings prices; absent: none"),
    })
    .optional()
    .describe("what the job's budget was charged for this run so far (its highest cumulative report), running too"),
  linkLostAt: ms
    .optional()
    .describe(
      "a run a lease expiry ended: when its factory's link to the coordinator was seen to end during the run; " +
        "absent when the link stayed up or came back, its end was not seen, or the factory beat after it",
    ),
  lastHeartbeatAt: ms
    .optional()
    .describe(
      "a run a lease expiry ended: its factory's last heartbeat before the expiry (long before it: the host went " +
        "silent; just before: it was up but did not renew); absent when the factory never beat or is gone",
    ),
});

/** `GET …/jobs/{id}/runs`: oldest first (by lease epoch). */
export const RunListSchema = z.object({ runs: z.array(RunSchema) });

/** One event of a job's feed (shared/protocol `JobEvent`; its types are listed there, FEED_EVENT_TYPES). */
export const JobEventSchema = z.object({
  seq: z.number().int().describe("gapless from 1"),
  // A string, not an enum: a newer coordinator may write a type an older client does not know (it shows it raw).
  type: z.string().describe(`one of: ${FEED_EVENT_TYPES.join(", ")} (readers accept others)`),
  at: ms,
  data: z.record(z.string(), z.unknown()),
});

/** `GET …/jobs/{id}/events`: the events after `after`, oldest first, and the log's last seq. */
export const EventPageSchema = z.object({ events: z.array(JobEventSchema), lastSeq: z.number().int() });

/** An artifact as the API shows it (its storage key never leaves the server). */
export const ArtifactSchema = z.object({
  jobId: z.string(),
  name: z.string(),
  size: z.number().int().describe("bytes"),
  contentType: z.string(),
  sha256: z.string().describe("hex SHA-256 of the bytes"),
  createdAt: ms,
  uploadedBy: z.string(),
});

/** `GET …/jobs/{id}/artifacts`: a page, one per name, in name order; `nextCursor` when more follow. */
export const ArtifactListSchema = z.object({
  artifacts: z.array(ArtifactSchema),
  nextCursor: z.string().optional().describe("present when more artifacts follow: pass it back as `cursor`"),
});

// ---- the composite tree ----

/** One node of a job's subtree (shared/responses `TreeNode`); `truncated` on a node whose children were cut off. */
export const TreeNodeSchema = z.object({
  id: z.string(),
  title: z.string(),
  stage: z.enum(STAGES),
  kind: z.enum(["task", "composite"]),
  priority: z.enum(PRIORITIES),
  deps: z.array(z.string()),
  waitingReason: WaitingReasonSchema.nullable(),
  get children(): z.ZodArray<typeof TreeNodeSchema> {
    return z.array(TreeNodeSchema);
  },
  truncated: z.boolean().optional(),
});

/** `GET …/jobs/{id}/tree`: at most 8 levels and 1000 nodes. */
export const JobTreeSchema = z.object({ root: TreeNodeSchema });

// ---- the review gate ----

/** `GET …/jobs/{id}/reviews` (core/review `ReviewsView`): the quorum, the approvals that count now, every review. */
export const ReviewsViewSchema = z.object({
  jobId: z.string(),
  stage: z.enum(STAGES),
  round: ms.describe("the current review round (when the job last entered queued): send it with a review to fence it"),
  required: z.number().int().describe("approvals the gate needs (the manifest's reviewers)"),
  approvals: z.number().int().describe("distinct principals whose approval counts in this round"),
  approvers: z.array(z.string()).describe("their ids (token ids)"),
  reviews: z.array(
    z.object({
      reviewer: z.string().describe("the reviewing principal's id"),
      reviewerName: z.string(),
      verdict: z.enum(["approve", "reject"]),
      at: ms,
      comment: z.string().optional(),
      counted: z.boolean().describe("whether it counts towards the current round's quorum"),
    }),
  ),
});

/** `POST …/jobs/{id}/reviews` (201): the gate after this review, and the job as stored after it. */
export const ReviewAnswerSchema = ReviewsViewSchema.extend({ job: JobSchema });
