/**
 * @module worker/openapi-answer-types
 * Compile-time proof that the answer schemas the OpenAPI document declares (shared/api-*) infer exactly what the
 * routes answer with: each schema against the value type of the coordinator method, feed method or drizzle row its
 * route sends (`Same`: mutually assignable, the same keys), so a field added, renamed or made optional on either
 * side is a type error here. The jobs, factories and settings answers are proved in shared/api-responses.
 */
import type { z } from "zod";
import type { Lesson } from "../core/lessons.ts";
import type { Candidate } from "../core/router.ts";
import type { StoredDeadLetter } from "../durable-objects/coordinator/outbox/dead-letters.ts";
import type { ArtifactPointer } from "../durable-objects/feed/artifacts.ts";
import type { JobFeed } from "../durable-objects/job-feed.ts";
import type { ProductCoordinator } from "../durable-objects/product-coordinator.ts";
import type { auditLog, deadLetters, jobSnapshots, runs } from "../history/schema.ts";
import type {
  AlertPageSchema,
  AlertSchema,
  ProductHealthSchema,
  WebhookDeletedSchema,
  WebhookViewSchema,
} from "../shared/api-alerts.ts";
import type { BudgetActionAnswerSchema } from "../shared/api-budget.ts";
import type * as F from "../shared/api-fleet-answers.ts";
import type { AuditRowSchema, RunRowSchema, SnapshotRowSchema } from "../shared/api-history.ts";
import type * as J from "../shared/api-job-answers.ts";
import type { LessonEditAnswerSchema, LessonPageSchema, LessonSchema } from "../shared/api-lessons.ts";
import type { BreakerListSchema, BreakerResetSchema, MetricsSchema, StatsSchema } from "../shared/api-metrics.ts";
import type {
  SerialFreezeAnswerSchema,
  SerialPageSchema,
  SerialUnfreezeAnswerSchema,
  SettingsAnswerSchema,
} from "../shared/api-policies.ts";
import type {
  FactoryApproveAnswerSchema,
  FactoryChangedSchema,
  JobSchema,
  LeaseSchema,
  TokenInfoSchema,
} from "../shared/api-responses.ts";
import { same } from "../shared/api-responses.ts";
import type * as R from "../shared/api-routing-answers.ts";
import type { WhoamiSchema } from "../shared/api-whoami.ts";
import type { DeadLetterDetail, DeadLetterPage, DeadLetterRedriven } from "../shared/http-client-types.ts";
import type { Explanation, RejectedCandidate, Run, TokenRole, TreeNode } from "../shared/responses.ts";
import type { actorOf, Principal, Role } from "./auth.ts";
import type { ProductInfo } from "./products.ts";
import type { experimentView } from "./routes/experiments.ts";
import type { whoamiOf } from "./routes/whoami.ts";
import type { issueTicket } from "./tickets.ts";

/** What coordinator method `M` resolves to when it succeeds: the value its route unwraps and answers with. */
type Answer<M extends keyof ProductCoordinator> = ProductCoordinator[M] extends (...args: never[]) => Promise<infer O>
  ? O extends { ok: true; value: infer V }
    ? V
    : never
  : never;
type Out<S extends z.ZodType> = z.output<S>;
/** `K` made optional: the coordinator always sends it, the shared type (and so its schema) lets it go missing. */
type Loosen<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
/** A dead letter as listed, from D1 or the coordinator: its `body` text parsed. */
type DeadLetter = Row<Out<typeof F.DeadLetterListSchema>["items"][number], "body">;
/** A row as its route answers it: its JSON text columns parsed (their content is described, not typed). */
type Row<T, Json extends keyof T> = Omit<T, Json>;

export const ANSWER_TYPES_MATCH = [
  // jobs: explain, runs, events, artifacts, tree
  same<Out<typeof J.ExplanationSchema>, Answer<"explain">>(true),
  same<Out<typeof J.ExplanationSchema>, Explanation>(true),
  same<Out<typeof J.CandidateSchema>, Candidate>(true),
  same<Out<typeof J.RejectedCandidateSchema>, RejectedCandidate>(true),
  same<Out<typeof J.RunListSchema>, { runs: Answer<"listRuns"> }>(true),
  same<Out<typeof J.RunSchema>, Run>(true),
  same<Out<typeof J.EventPageSchema>, Awaited<ReturnType<JobFeed["list"]>>>(true),
  same<Out<typeof J.ArtifactSchema>, Omit<ArtifactPointer, "r2Key">>(true),
  same<Out<typeof J.JobTreeSchema>, Answer<"jobTree">>(true),
  same<Out<typeof J.TreeNodeSchema>, TreeNode>(true),
  // history (D1 rows)
  same<Row<Out<typeof SnapshotRowSchema>, "doc">, Row<typeof jobSnapshots.$inferSelect, "doc">>(true),
  same<Out<typeof RunRowSchema>, typeof runs.$inferSelect>(true),
  same<Row<Out<typeof AuditRowSchema>, "detail">, Row<typeof auditLog.$inferSelect, "detail">>(true),
  // reviews, serial gates
  same<Out<typeof J.ReviewsViewSchema>, Answer<"reviews">>(true),
  same<Out<typeof J.ReviewAnswerSchema>, Answer<"review">>(true),
  same<Out<typeof SerialPageSchema>, Answer<"listSerialGates">>(true),
  same<Out<typeof SerialFreezeAnswerSchema>, Answer<"freezeSerialKey">>(true),
  same<Out<typeof SerialUnfreezeAnswerSchema>, Answer<"unfreezeSerialKey">>(true),
  same<Out<typeof SettingsAnswerSchema>, Answer<"readSettings">>(true),
  same<Out<typeof SettingsAnswerSchema>, Answer<"patchSettings">>(true),
  // alerts, health, webhook
  same<Out<typeof AlertPageSchema>, Answer<"listAlerts">>(true),
  same<Out<typeof AlertSchema>, Answer<"ackAlert">>(true),
  same<Out<typeof ProductHealthSchema>, Answer<"productHealth">>(true),
  same<Out<typeof WebhookViewSchema>, Answer<"setWebhook">>(true),
  same<Out<typeof WebhookViewSchema>, Answer<"getWebhook">>(true),
  same<Out<typeof WebhookDeletedSchema>, Answer<"deleteWebhook">>(true),
  // lessons (the list is built by the route from D1 rows: worker/routes/lessons `rowToLesson`)
  same<Out<typeof LessonSchema>, Lesson>(true),
  same<Out<typeof LessonSchema>, Answer<"addLesson">>(true),
  same<Out<typeof LessonEditAnswerSchema>, Answer<"editLesson">>(true),
  same<Out<typeof BudgetActionAnswerSchema>, Answer<"pauseBudget">>(true),
  same<Out<typeof BudgetActionAnswerSchema>, Answer<"resumeBudget">>(true),
  same<Out<typeof LessonPageSchema>, { items: Lesson[]; nextCursor?: string }>(true),
  // metrics, stats, breakers
  same<Out<typeof MetricsSchema>, Answer<"metrics">>(true),
  same<Out<typeof StatsSchema>, Answer<"stats">>(true),
  same<Out<typeof BreakerListSchema>, { breakers: Answer<"listBreakers"> }>(true),
  same<Out<typeof FactoryChangedSchema>, Loosen<Answer<"releaseFactory">, "breakers">>(true),
  same<Out<typeof BreakerResetSchema>, Answer<"resetBreaker">>(true),
  // learned routing
  same<Out<typeof R.TrackRecordListSchema>, { records: Answer<"trackRecords"> }>(true),
  same<Out<typeof R.RecommendationListSchema>, { recommendations: Answer<"routingRecommendations"> }>(true),
  same<Out<typeof R.RoutingRuleListSchema>, { rules: Answer<"listRoutingRules"> }>(true),
  same<Out<typeof R.RoutingRuleSchema>, Answer<"addRoutingRule">>(true),
  same<Out<typeof R.RoutingRuleSchema>, Answer<"removeRoutingRule">>(true),
  same<Out<typeof R.RebuildSchema>, Omit<Answer<"rebuildTrackRecords">, "rebuild"> & { chunks: number }>(true),
  same<Out<typeof R.ExperimentViewSchema>, ReturnType<typeof experimentView>>(true),
  same<Out<typeof R.ExperimentStopAnswerSchema>, ReturnType<typeof experimentView> & { changed: boolean }>(true),
  // around the jobs: products, a factory's work and its actions, tokens, dead letters, tickets, the queue version
  same<Out<typeof F.ProductSchema>, ProductInfo>(true),
  same<Out<typeof JobSchema>, Answer<"patch">>(true),
  same<Out<typeof JobSchema>, Answer<"release">>(true),
  same<Out<typeof LeaseSchema>, Answer<"renew">>(true),
  same<Out<typeof F.HeartbeatAnswerSchema>, Answer<"heartbeat">>(true),
  same<Out<typeof FactoryChangedSchema>, Loosen<Answer<"setFactoryStatus">, "breakers">>(true),
  same<Out<typeof FactoryApproveAnswerSchema>, Loosen<Answer<"approveFactoryGrant">, "breakers">>(true),
  same<Out<typeof FactoryChangedSchema>, Loosen<Answer<"revokeFactoryToken">, "breakers">>(true),
  same<Out<typeof F.DeregisteredSchema>, Answer<"deregister">>(true),
  same<Out<typeof F.EnrollmentCodeSchema>, Answer<"mintEnrollmentCode"> & { code: string }>(true),
  same<Out<typeof F.EnrollmentCodeListSchema>, { codes: Answer<"listEnrollmentCodes"> }>(true),
  same<Out<typeof F.EnrollmentCodeRevokedSchema>, Answer<"revokeEnrollmentCode">>(true),
  same<Out<typeof F.TokenListSchema>, { tokens: Answer<"listTokens"> }>(true),
  same<Out<typeof TokenInfoSchema>, Answer<"revokeToken">>(true),
  same<DeadLetter, Row<StoredDeadLetter, "body">>(true),
  same<DeadLetter, Row<typeof deadLetters.$inferSelect, "body">>(true),
  same<Omit<Out<typeof F.DeadLetterListSchema>, "items">, Omit<DeadLetterPage, "items">>(true),
  same<Out<typeof F.DeadLetterRedrivenSchema>, DeadLetterRedriven>(true),
  same<Row<Out<typeof F.DeadLetterDetailSchema>, "body">, Row<DeadLetterDetail, "body">>(true),
  same<Out<typeof F.TicketSchema>, Awaited<ReturnType<typeof issueTicket>>>(true),
  same<Out<typeof F.QueueStateSchema>, Answer<"queueState">>(true),
  // who the token is: every role a principal the route lets in holds (worker/auth), and how the audit log names it
  same<Out<typeof WhoamiSchema>, ReturnType<typeof whoamiOf>>(true),
  same<Out<typeof WhoamiSchema>["role"], Exclude<Role, "member" | "enrollment">>(true),
  same<Out<typeof WhoamiSchema>["role"], Exclude<Principal["kind"], "token" | "enrollment"> | TokenRole>(true),
  same<Out<typeof WhoamiSchema>["actor"], ReturnType<typeof actorOf>>(true),
] as const;
