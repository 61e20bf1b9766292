/**
 * @module worker/openapi-schemas
 * The answers side of the OpenAPI document: the response body schemas (shared/api-responses and the other
 * shared/api-* modules, registered here as `#/components/schemas/…`), the success replies an operation declares
 * (`Reply`, with the helpers the operations files use to write them) and their rendering into an operation's
 * `responses`.
 */
import { z } from "zod";
import * as Alerts from "../shared/api-alerts.ts";
import { BatchAcceptedSchema, BatchViewSchema } from "../shared/api-batches.ts";
import { BudgetActionAnswerSchema, BudgetViewSchema } from "../shared/api-budget.ts";
import * as Fleet from "../shared/api-fleet-answers.ts";
import * as History from "../shared/api-history.ts";
import * as Jobs from "../shared/api-job-answers.ts";
import { LessonEditAnswerSchema, LessonPageSchema, LessonSchema } from "../shared/api-lessons.ts";
import {
  BreakerListSchema,
  BreakerResetSchema,
  BreakerSchema,
  MetricsSchema,
  StatsSchema,
} from "../shared/api-metrics.ts";
import {
  AgingGuaranteeSchema,
  SerialFreezeAnswerSchema,
  SerialGateSchema,
  SerialPageSchema,
  SerialUnfreezeAnswerSchema,
  SettingsAnswerSchema,
  WaitingReasonSchema,
} from "../shared/api-policies.ts";
import {
  ChildrenAnswerSchema,
  ClaimSchema,
  EnrolledSchema,
  FactoryApproveAnswerSchema,
  FactoryChangedSchema,
  FactoryListSchema,
  FactoryRecordSchema,
  FactorySchema,
  JobPageSchema,
  JobSchema,
  JobSummarySchema,
  JobViewSchema,
  LeaseSchema,
  MintedTokenSchema,
  SettingsSchema,
  TokenInfoSchema,
} from "../shared/api-responses.ts";
import * as Routing from "../shared/api-routing-answers.ts";
import { WhoamiSchema } from "../shared/api-whoami.ts";

/** A success status the API answers with. */
export type SuccessStatus = "101" | "200" | "201" | "202" | "204" | "304";

export type Reply = {
  description: string;
  /** The JSON body's schema: every JSON answer has one (test/unit/openapi-requests), a component of its own. */
  schema?: z.ZodType;
  /**
   * The body's media types when not JSON alone (`schema` then describes the `application/json` one), or `none`
   * (101, 204).
   */
  media?: string[] | "none";
  /** An idempotent replay: the answer carries `idempotent-replayed: true`. */
  replayed?: boolean;
  /** Headers of the answer a client reads (a download's digest), each with what it says. */
  headers?: Record<string, string>;
};

export type Replies = Partial<Record<SuccessStatus, Reply>>;

/** A JSON answer, with the schema of its body (registered below as a component). */
export const json = (description: string, schema: z.ZodType): Reply => ({ description, schema });
/** The answer to the same request again under its idempotency key: the first answer's body, 200. */
export const replay = (description: string, schema: z.ZodType): Reply => ({
  ...json(description, schema),
  replayed: true,
});
/** The answers of a request that made a job, by `status` when new; the same request again under its key is a 200 replay. */
export const made = (status: "201" | "202", description: string, schema: z.ZodType): Replies => ({
  [status]: json(description, schema),
  "200": replay("The same request again under its key: the first answer", schema),
});

/** No body. */
export const empty = (description: string): Reply => ({ description, media: "none" });
/** A WebSocket upgrade. */
export const SWITCHING: Reply = empty("Switching Protocols: the WebSocket is open");

/** Every response schema with its component name; a reply naming one of these is a `$ref` to it. */
const COMPONENTS = z.registry<{ id: string }>();
for (const [id, schema] of Object.entries({
  WaitingReason: WaitingReasonSchema,
  Job: JobSchema,
  JobView: JobViewSchema,
  JobSummary: JobSummarySchema,
  JobPage: JobPageSchema,
  Claim: ClaimSchema,
  ChildrenAnswer: ChildrenAnswerSchema,
  Factory: FactorySchema,
  FactoryList: FactoryListSchema,
  Enrolled: EnrolledSchema,
  MintedToken: MintedTokenSchema,
  Settings: SettingsSchema,
  SettingsAnswer: SettingsAnswerSchema,
  AgingGuarantee: AgingGuaranteeSchema,
  BudgetView: BudgetViewSchema,
  BudgetActionAnswer: BudgetActionAnswerSchema,
  BatchAccepted: BatchAcceptedSchema,
  BatchView: BatchViewSchema,
  Explanation: Jobs.ExplanationSchema,
  Candidate: Jobs.CandidateSchema,
  RejectedCandidate: Jobs.RejectedCandidateSchema,
  Exclusion: Jobs.ExclusionSchema,
  Run: Jobs.RunSchema,
  RunList: Jobs.RunListSchema,
  JobEvent: Jobs.JobEventSchema,
  EventPage: Jobs.EventPageSchema,
  Artifact: Jobs.ArtifactSchema,
  ArtifactList: Jobs.ArtifactListSchema,
  TreeNode: Jobs.TreeNodeSchema,
  JobTree: Jobs.JobTreeSchema,
  HistoryPage: History.HistoryPageSchema,
  ReviewsView: Jobs.ReviewsViewSchema,
  ReviewAnswer: Jobs.ReviewAnswerSchema,
  SerialGate: SerialGateSchema,
  SerialPage: SerialPageSchema,
  SerialFreezeAnswer: SerialFreezeAnswerSchema,
  SerialUnfreezeAnswer: SerialUnfreezeAnswerSchema,
  Alert: Alerts.AlertSchema,
  AlertPage: Alerts.AlertPageSchema,
  ProductHealth: Alerts.ProductHealthSchema,
  Webhook: Alerts.WebhookViewSchema,
  WebhookDeleted: Alerts.WebhookDeletedSchema,
  Lesson: LessonSchema,
  LessonPage: LessonPageSchema,
  LessonEditAnswer: LessonEditAnswerSchema,
  Breaker: BreakerSchema,
  BreakerList: BreakerListSchema,
  BreakerReset: BreakerResetSchema,
  Metrics: MetricsSchema,
  Stats: StatsSchema,
  TrackRecordList: Routing.TrackRecordListSchema,
  Recommendation: Routing.RecommendationSchema,
  RecommendationList: Routing.RecommendationListSchema,
  RoutingRule: Routing.RoutingRuleSchema,
  RoutingRuleList: Routing.RoutingRuleListSchema,
  Rebuild: Routing.RebuildSchema,
  ExperimentView: Routing.ExperimentViewSchema,
  ExperimentList: Routing.ExperimentListSchema,
  ExperimentStopAnswer: Routing.ExperimentStopAnswerSchema,
  Liveness: Fleet.LivenessSchema,
  OpenApiDocument: Fleet.OpenApiDocumentSchema,
  Product: Fleet.ProductSchema,
  ProductList: Fleet.ProductListSchema,
  Lease: LeaseSchema,
  FactoryApproveAnswer: FactoryApproveAnswerSchema,
  FactoryChanged: FactoryChangedSchema,
  FactoryRecord: FactoryRecordSchema,
  HeartbeatAnswer: Fleet.HeartbeatAnswerSchema,
  Deregistered: Fleet.DeregisteredSchema,
  EnrollmentCode: Fleet.EnrollmentCodeSchema,
  EnrollmentCodeList: Fleet.EnrollmentCodeListSchema,
  EnrollmentCodeRevoked: Fleet.EnrollmentCodeRevokedSchema,
  TokenInfo: TokenInfoSchema,
  TokenList: Fleet.TokenListSchema,
  TrackerQueued: Fleet.TrackerQueuedSchema,
  TrackerExists: Fleet.TrackerExistsSchema,
  DeadLetterList: Fleet.DeadLetterListSchema,
  DeadLetterRedriven: Fleet.DeadLetterRedrivenSchema,
  DeadLetterDetail: Fleet.DeadLetterDetailSchema,
  Ticket: Fleet.TicketSchema,
  QueueState: Fleet.QueueStateSchema,
  Whoami: WhoamiSchema,
})) {
  COMPONENTS.add(schema, { id });
}

const REF = (id: string) => `#/components/schemas/${id}`;

/**
 * Answers are described as open objects (no `additionalProperties: false`, which zod writes for every output
 * object): the API adds fields without a new version, and a client validating against this document must not break
 * on one. Only `false` goes: a record's `additionalProperties` is the schema of its values, and stays.
 */
function openAnswer(ctx: { jsonSchema: Record<string, unknown> }): void {
  if (ctx.jsonSchema.additionalProperties === false) delete ctx.jsonSchema.additionalProperties;
}

/** A component is a fragment of this document, not a schema resource of its own: no `$schema`, no `$id`. */
function fragment(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** `components.schemas`: every registered response schema, referring to one another by `$ref`. */
export function responseComponents(): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(COMPONENTS, {
    io: "output",
    uri: REF,
    unrepresentable: "any",
    override: openAnswer,
  });
  return Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, fragment(s)]));
}

function bodySchema(schema: z.ZodType): unknown {
  const id = COMPONENTS.get(schema)?.id;
  if (id) return { $ref: REF(id) };
  return fragment(z.toJSONSchema(schema, { io: "output", unrepresentable: "any", override: openAnswer }));
}

const REPLAYED_HEADER = {
  "idempotent-replayed": {
    description: "true: this answers an earlier identical request under the same idempotency key; nothing new was made",
    schema: { type: "string", enum: ["true"] },
  },
};

/** A reply's own headers as OpenAPI header objects (every one a string). */
const named = (headers: Record<string, string> = {}) =>
  Object.fromEntries(
    Object.entries(headers).map(([h, description]) => [h, { description, schema: { type: "string" } }]),
  );

/** An operation's success replies as OpenAPI `responses` entries (the 4XX problem is added by worker/openapi). */
export function successResponses(replies: Replies): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(replies)) {
    const described = r.schema ? { schema: bodySchema(r.schema) } : {};
    const content =
      r.media === "none"
        ? undefined
        : Object.fromEntries(
            (r.media ?? ["application/json"]).map((m) => [m, m === "application/json" ? described : {}]),
          );
    out[status] = {
      description: r.description,
      ...(r.replayed || r.headers ? { headers: { ...(r.replayed ? REPLAYED_HEADER : {}), ...named(r.headers) } } : {}),
      ...(content ? { content } : {}),
    };
  }
  return out;
}
