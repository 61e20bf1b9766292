/**
 * @module shared/api-responses
 * What the API answers with, as zod schemas: jobs (whole, summarised, paged), a factory's claim, factories, product
 * settings, bulk batches and composite children (the job schemas are shared/api-job-schemas'). The routes return the
 * TypeScript types of shared/responses and core/model; each schema here is checked at compile time to infer exactly
 * that type (`Same` below), so the OpenAPI document (worker/openapi-schemas), built from these, cannot drift from what
 * the routes send.
 */
import { z } from "zod";
import type { JobAllowance } from "../core/job-budget.ts";
import type { LessonRef } from "../core/lessons.ts";
import type { Job } from "../core/model.ts";
import type { ProductSettings } from "../core/settings.ts";
import { CHANGED } from "./api.ts";
import {
  ChildrenAnswerSchema,
  ClaimSchema,
  JobPageSchema,
  JobSchema,
  JobSummarySchema,
  JobViewSchema,
  LeaseSchema,
  RunResultSchema,
} from "./api-job-schemas.ts";
import { SettingsSchema, WeightsSchema } from "./api-policies.ts";
import type { FactoryWithBreakers, JobPage, JobSummary, JobView, Lease, TokenInfo } from "./responses.ts";

const ms = z.number().int().describe("ms epoch");

// The job schemas live in shared/api-job-schemas; re-exported for their readers here.
export {
  ChildrenAnswerSchema,
  ClaimSchema,
  JobPageSchema,
  JobSchema,
  JobSummarySchema,
  JobViewSchema,
  LeaseSchema,
  RunResultSchema,
};

const FactoryBreakerSchema = z.object({
  engine: z.string(),
  state: z.enum(["closed", "open", "half_open"]),
  consecutiveFailures: z.number().int(),
  openUntil: ms.optional(),
});

/** A factory as stored, without its breakers and link: what a factory's own heartbeat answers. */
export const FactoryRecordSchema = z.object({
  id: z.string(),
  productId: z.string(),
  name: z.string(),
  capabilities: z.array(z.string()),
  approvedCapabilities: z.array(z.string()).optional(),
  declaredCapabilities: z.array(z.string()).optional(),
  pendingCapabilities: z.array(z.string()).optional(),
  seats: z.number().int(),
  seatLimit: z.number().int().optional(),
  declaredSeats: z.number().int().optional(),
  load: z.number().int(),
  /** `left` (at `leftAt`, until its next hello): its agent drained and closed cleanly, holding nothing — no outage. */
  health: z.enum(["ok", "degraded", "down", "left"]),
  status: z.enum(["active", "draining", "quarantined", "revoked"]),
  statusReason: z
    .string()
    .optional()
    .describe(
      "why it is draining or quarantined (`draining by ACTOR`, the automatic quarantine's error rate); absent otherwise",
    ),
  lastHeartbeatAt: ms.optional(),
  leftAt: ms.optional(),
  createdAt: ms,
});

/** A factory, with its breakers not plainly closed and its link (lists, `GET …/factories/{id}`, its actions). */
export const FactorySchema = FactoryRecordSchema.extend({
  breakers: z.array(FactoryBreakerSchema).optional(),
  connected: z
    .boolean()
    .describe(
      "a greeted WebSocket of its agent is open now (draining or not), not silent past 3 missed beats (`down`: " +
        "the sweep closes it), read from the coordinator's socket set: false at once when it closes, where `health` " +
        "lags. An HTTP poller (no socket, or its latest beat over HTTP): while its beats keep it out of `down`. Never revoked",
    ),
  disconnectedAt: ms
    .nullable()
    .describe(
      "ms epoch when the coordinator saw its latest connection end (a close, the stale-socket sweep, a token ended); " +
        "null while connected, for an HTTP poller, and when the end was never seen (lost with a coordinator restart)",
    ),
});

/** `POST …/capabilities/approve`: the factory, and whether anything changed (false: nothing pending, same limit). */
export const FactoryApproveAnswerSchema = FactorySchema.extend(CHANGED);
/**
 * `POST …/status`, `POST …/release` and `POST …/token/revoke`: the factory as the list gives it, and whether anything
 * changed (false: it had that status already — a release of an active factory, a second revoke — nothing written,
 * audited or told its agent).
 */
export const FactoryChangedSchema = FactorySchema.extend(CHANGED);
export const FactoryListSchema = z.object({ factories: z.array(FactorySchema) });

/**
 * `POST …/factories/enroll` (201) and `…/token/rotate`: the token is shown this once; the factory as the list gives it
 * (its breakers and link: a rotation ended its sockets, so it reads disconnected).
 */
export const EnrolledSchema = z.object({
  factoryId: z.string(),
  token: z.string(),
  factory: FactorySchema,
  resumed: z
    .literal(true)
    .optional()
    .describe(
      "enroll only: this answer resumes an enrollment whose first answer the agent lost (the same code and nonce " +
        "again): the factory it enrolled then, with a new token — the first one no longer works",
    ),
});

/** An operator or viewer token's record (never its secret): `GET …/tokens`, `DELETE …/tokens/{id}`. */
export const TokenInfoSchema = z.object({
  id: z.string(),
  role: z.enum(["operator", "viewer"]),
  name: z.string(),
  createdAt: ms,
  revokedAt: ms.optional(),
});

/** `POST …/tokens` (201): the token's record and its secret, shown this once. */
export const MintedTokenSchema = TokenInfoSchema.extend({ token: z.string() });

// The settings schemas live beside the settings patch (shared/api-policies); re-exported for their readers here.
export { SettingsSchema, WeightsSchema };

// ---- each schema infers exactly the type the routes answer with (a compile error otherwise) ----

/** Mutually assignable, and the same top-level keys (assignability alone lets an optional field go missing). */
export type Same<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [keyof A] extends [keyof B]
      ? [keyof B] extends [keyof A]
        ? true
        : false
      : false
    : false
  : false;
/** `same<A, B>(true)` compiles only when `Same<A, B>`: how every answer schema is tied to the type it describes. */
export const same = <A, B>(proof: Same<A, B>): Same<A, B> => proof;
export const RESPONSE_TYPES_MATCH = [
  same<z.output<typeof JobSchema>, Job>(true),
  same<z.output<typeof JobViewSchema>, JobView>(true),
  same<z.output<typeof JobSummarySchema>, JobSummary>(true),
  same<z.output<typeof JobPageSchema>, JobPage<JobSummary | JobView>>(true),
  same<z.output<typeof ClaimSchema>, { job: Job; lease: Lease; lessons: LessonRef[]; allowance?: JobAllowance }>(true),
  same<z.output<typeof ChildrenAnswerSchema>, { parent: Job; children: Job[] }>(true),
  same<z.output<typeof FactorySchema>, FactoryWithBreakers>(true),
  same<
    z.output<typeof EnrolledSchema>,
    { factoryId: string; token: string; factory: FactoryWithBreakers; resumed?: true }
  >(true),
  same<z.output<typeof MintedTokenSchema>, TokenInfo & { token: string }>(true),
  same<z.output<typeof TokenInfoSchema>, TokenInfo>(true),
  same<z.output<typeof LeaseSchema>, Lease>(true),
  same<z.output<typeof SettingsSchema>, ProductSettings>(true),
] as const;
