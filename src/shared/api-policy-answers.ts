/**
 * @module shared/api-policy-answers
 * What the fleet policies' operations answer (issue 8), as zod schemas: the review gate of a job (`…/reviews`) and
 * serial gates (`…/serial`, freeze, unfreeze). The requests' schemas are in shared/api-policies; each answer is
 * checked at compile time to infer exactly what its route answers with (worker/openapi-answer-types).
 */
import { z } from "zod";
import { STAGES } from "../core/model.ts";
import { JobSchema } from "./api-responses.ts";

const ms = z.number().int().describe("ms epoch");

/** `GET …/jobs/{id}/reviews` (core/review `ReviewsView`): the quorum, the approvals that count now, every review. */
export const ReviewsViewSchema = z.object({
  jobId: z.string(),
  stage: z.enum(STAGES),
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

/** One serial key (core/serial-gates `SerialGate`): who holds it, who waits, and whether it is frozen. */
export const SerialGateSchema = z.object({
  key: z.string(),
  holder: z.string().nullable().describe("the job holding the key (assigned or building)"),
  queue: z.array(z.string()).describe("queued job ids, most urgent first (at most 50)"),
  queueLength: z.number().int(),
  frozen: z.object({ by: z.string(), reason: z.string(), at: ms }).nullable(),
});

/** `GET …/serial`: every key with a holder, a queue or a freeze, in key order. */
export const SerialPageSchema = z.object({
  keys: z.array(SerialGateSchema),
  nextCursor: z.string().optional(),
});
