/**
 * @module shared/api-work
 * What a factory sends about its work over REST: the claim, the fenced report (stage, checkpoint, progress, result,
 * insights), and the lease's renewal and release — zod schemas shared by the Worker (validation), the factory
 * WebSocket's frames (shared/protocol-factory-frames reuse the report's parts), the typed client and the OpenAPI
 * document. Strict like the rest of shared/api.
 */
import { z } from "zod";
import { utf8Text } from "../core/bytes.ts";
import { LEASE_TTL } from "../core/lease.ts";
import { STAGES } from "../core/model.ts";
import { MAX_UNPRICED_TOKENS } from "../core/unpriced.ts";
import { plainName } from "./plain-text.ts";

export const LeaseTtl = z.number().int().min(LEASE_TTL.minSeconds).max(LEASE_TTL.maxSeconds);

/**
 * `leaseTtlSeconds`: the longest TTL the factory wants; the lease gets the job's governing TTL (manifest, else the
 * product's setting) or this, whichever is shorter (core/settings `grantedLeaseTtl`). Absent = the governing TTL.
 */
export const ClaimBody = z
  .object({ leaseTtlSeconds: LeaseTtl.optional().describe("at most this TTL, s (the job's or product's governs)") })
  .strict();

export const CheckpointBody = z
  .object({
    branch: utf8Text(800, plainName(z.string().min(1))).optional(), // a git ref name: no control character
    sha: z
      .string()
      .regex(/^[0-9a-f]{7,64}$/)
      .optional(),
    note: utf8Text(8000).optional(),
  })
  .strict();

/**
 * The outcomes a factory may give its own run. `cancelled` and `fenced` are the coordinator's to record (an operator's
 * cancel, a lost lease) and, like its `preempted`/`handed_back`, neutral for breakers and track records: taken from a
 * factory, a host could close its own failures so and keep its breaker closed. The agent never sends them (a run it
 * abandons on a `cancel` or a lost lease ends with a `stopped` frame), so they are refused at the boundary.
 */
export const REPORTED_OUTCOMES = ["success", "failure", "budget_exceeded", "timeout", "rate_limited"] as const;
const reportedOutcome = z.enum(REPORTED_OUTCOMES, {
  error: (issue) =>
    issue.input === "cancelled" || issue.input === "fenced"
      ? `${issue.input} is the coordinator's to record (a cancel, a lost lease), not a factory's: report a failed run as failure or timeout`
      : `one of ${REPORTED_OUTCOMES.join(", ")}`,
});

export const RunResultBody = z
  .object({
    rc: z.number().int().min(-1024).max(1024).optional(),
    outcome: reportedOutcome,
    message: utf8Text(16_000).optional(),
    retryable: z.boolean().optional(),
    // 1 day: a provider's longest realistic back-off; a longer one is an operator's call (quarantine), not a header.
    retryAfterSeconds: z.number().int().min(0).max(86_400).optional(),
  })
  .strict();

/**
 * A result as a report that ENDS a run says it: a success report (`complete`, a PATCH to review or testing) carries a
 * success, a failure report (`fail`, a PATCH to failed) anything but. A contradiction is refused at the boundary: a
 * `complete` whose result said `failure` moved its job on to testing as if it had passed, and a `fail` saying
 * `success` left its job failed for good (a success is not a transient failure, so it was never retried).
 */
export const SuccessResultBody = RunResultBody.refine((r) => r.outcome === "success", {
  path: ["outcome"],
  message: "a success report's result is a success",
});
export const FailureResultBody = RunResultBody.refine((r) => r.outcome !== "success", {
  path: ["outcome"],
  message: "a failure report's result is not a success",
});
const FINISHING = new Set(["review", "testing"]);
const resultFits = (stage: string | undefined, outcome: string) =>
  FINISHING.has(stage ?? "") ? outcome === "success" : stage !== "failed" || outcome !== "success";

/** A run's insights as fields, before the check across them (`baseWithinTokensIn`): for a schema that omits some. */
export const InsightsFields = z
  .object({
    tokensIn: z.number().int().min(0).max(1e12).optional(),
    tokensOut: z.number().int().min(0).max(1e12).optional(),
    costUsd: z.number().min(0).max(1e6).optional(),
    // Of tokensIn + tokensOut, those the engine gave no USD for (core/unpriced); absent from older agents.
    unpricedTokens: z.number().int().min(0).max(MAX_UNPRICED_TOKENS).optional(),
    // Of tokensIn, a resumed run's earlier unpriced tokens (agent/run-usage `runUsage`): in + out as one sum when the
    // coordinator knew no split, so core/prices `estimateUsd` may price them as written. Absent (split known, older
    // agents): 0.
    baseTokens: z
      .number()
      .int()
      .min(0)
      .max(1e12)
      .optional()
      .describe("of tokensIn, a resumed run's earlier engines' tokens (in + out, split unknown); absent: 0"),
    diffStat: z
      .object({
        files: z.number().int().min(0),
        insertions: z.number().int().min(0),
        deletions: z.number().int().min(0),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * `schema` with the check across the insights' fields: `baseTokens` is part of `tokensIn` (absent: 0), so never more.
 * A larger one would price tokens the report does not hold as written — refused at the boundary: a 400
 * `validation_failed` (a frame: its `error` frame), nothing changed.
 */
export function baseWithinTokensIn<S extends z.ZodType<{ tokensIn?: number; baseTokens?: number }>>(schema: S): S {
  return schema.refine((i) => (i.baseTokens ?? 0) <= (i.tokensIn ?? 0), {
    path: ["baseTokens"],
    message: "baseTokens is part of tokensIn: at most tokensIn",
  });
}

export const InsightsBody = baseWithinTokensIn(InsightsFields);

export const PatchJobBody = z
  .object({
    leaseEpoch: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    stage: z.enum(STAGES).optional(),
    checkpoint: CheckpointBody.optional(),
    progress: z
      .object({ pct: z.number().min(0).max(100).optional(), note: utf8Text(8000).optional() })
      .strict()
      .optional(),
    result: RunResultBody.optional(),
    insights: InsightsBody.optional(),
  })
  .strict()
  .refine((b) => !b.result || resultFits(b.stage, b.result.outcome), {
    path: ["result", "outcome"],
    message: "a report to review or testing carries a success, one to failed anything but",
  });

export const RenewBody = z
  .object({ leaseEpoch: z.number().int().min(0), leaseTtlSeconds: LeaseTtl.optional() })
  .strict();
export const ReleaseBody = z.object({ leaseEpoch: z.number().int().min(0) }).strict();

export type ClaimBodyT = z.infer<typeof ClaimBody>;
export type PatchJobBodyT = z.infer<typeof PatchJobBody>;
