/**
 * @module shared/api-fleet-answers
 * What the operations around the jobs answer, as zod schemas: the coordinator's liveness and this document, products,
 * a factory's heartbeat and the operator's factory actions, enrollment codes, tokens, tracker ingest, dead letters,
 * a feed ticket and the queue version. The jobs, factories and settings answers are in shared/api-responses; each
 * schema here is checked at compile time against what its route sends (worker/openapi-answer-types).
 */
import { z } from "zod";
import { FactoryRecordSchema, LeaseSchema, TokenInfoSchema } from "./api-responses.ts";

const ms = z.number().int().describe("ms epoch");

/** `GET /api/v1/health` (no token): the Worker answers, and whether D1 does. */
export const LivenessSchema = z.object({
  status: z.enum(["healthy", "degraded"]),
  d1: z.enum(["ok", "unreachable"]),
  at: z.string().describe("ISO 8601, the Worker's clock"),
});

/** `GET /api/v1/openapi.json`: this document. */
export const OpenApiDocumentSchema = z.object({
  openapi: z.string(),
  info: z.object({
    title: z.string(),
    version: z.string(),
    description: z.string().describe("what every operation refuses of a request's headers (their byte limits)"),
  }),
  components: z.record(z.string(), z.unknown()),
  security: z.array(z.record(z.string(), z.array(z.string()))),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});

/** A product (worker/products `ProductInfo`): `POST /api/v1/products` answers it (201 made, 200 there already). */
export const ProductSchema = z.object({ id: z.string(), createdAt: ms });

/** `GET /api/v1/products`. */
export const ProductListSchema = z.object({ products: z.array(ProductSchema) });

/** `POST …/factories/heartbeat`: the factory as now recorded, the queue version and its live leases. */
export const HeartbeatAnswerSchema = z.object({
  factory: FactoryRecordSchema,
  queueVersion: z.number().int(),
  leases: z.array(LeaseSchema),
});

/** `DELETE …/factories/{id}`: how many of its live leases went back to the queue. */
export const DeregisteredSchema = z.object({ requeued: z.number().int() });

/** `POST …/factories/enrollment-codes` (201): the code, shown this once, and what it binds. */
export const EnrollmentCodeSchema = z.object({
  id: z.string(),
  createdAt: ms,
  expiresAt: ms,
  name: z.string().optional().describe("the only host name that may redeem it"),
  seats: z.number().int().optional().describe("the most seats it grants"),
  code: z.string(),
});

/** `GET …/factories/enrollment-codes`: the codes that can still be exchanged, oldest first (never the code). */
export const EnrollmentCodeListSchema = z.object({
  codes: z.array(
    z.object({
      id: z.string(),
      createdAt: ms,
      expiresAt: ms,
      mintedBy: z.string().optional().describe("who minted it (absent for codes minted before this was recorded)"),
      name: z.string().optional().describe("the only host name that may redeem it"),
      seats: z.number().int().optional().describe("the most seats it grants"),
    }),
  ),
});

/** `DELETE …/factories/enrollment-codes/{codeId}`: whether this call revoked it, and what the code is now. */
export const EnrollmentCodeRevokedSchema = z.object({
  id: z.string(),
  changed: z.boolean().describe("false: it was already revoked, used or expired (`state` says which)"),
  state: z.enum(["revoked", "used", "expired"]),
});

/** `GET …/tokens`: every operator and viewer token, revoked ones too. */
export const TokenListSchema = z.object({ tokens: z.array(TokenInfoSchema) });

/** `POST …/tracker/ingest`: 202 queued, or 200 when the item is already a job. */
export const TrackerQueuedSchema = z.object({ idempotencyKey: z.string(), status: z.literal("queued") });
export const TrackerExistsSchema = z.object({
  idempotencyKey: z.string(),
  status: z.literal("exists"),
  jobId: z.string(),
});

/** `POST …/dead-letters/{id}/redrive`: the dead letter's message is back on its queue, and the dead letter is gone. */
export const DeadLetterRedrivenSchema = z.object({
  id: z.string(),
  source: z.string(),
  queue: z.enum(["history", "webhook", "dispatch"]).describe("the queue its original message was sent back to"),
  redriven: z.literal(true),
});

/** One dead letter as `GET …/dead-letters` lists it (and `GET …/dead-letters/{id}` answers it, with more). */
const DeadLetterItemSchema = z.object({
  id: z.string(),
  productId: z.string(),
  source: z.string().describe("outbox:<kind>, queue:<kind>, batch:…, tracker:…"),
  reason: z.string(),
  body: z.unknown().describe("the record or message as JSON, or — a stored body that is not JSON — its text as kept"),
  attempts: z.number().int(),
  at: ms,
});

/** `GET …/dead-letters`: newest first (`at`, then `id`), from D1 and from the coordinator; `nextCursor` when more follow. */
export const DeadLetterListSchema = z.object({
  items: z.array(DeadLetterItemSchema),
  nextCursor: z
    .string()
    .optional()
    .describe("present when older dead letters follow: pass it back as `cursor` for the next page"),
  partial: z
    .literal(true)
    .optional()
    .describe("D1 could not be read: only the coordinator's dead letters are listed — start again once D1 is back"),
});

/** `GET …/dead-letters/{id}`: one dead letter, where it is kept, and what a redrive of it would do now. */
export const DeadLetterDetailSchema = DeadLetterItemSchema.extend({
  heldBy: z
    .array(z.enum(["d1", "coordinator"]))
    .describe("the stores holding it: D1, the product's coordinator (it kept what D1 refused), or both"),
  redrive: z
    .discriminatedUnion("possible", [
      z.object({ possible: z.literal(true), queue: z.enum(["history", "webhook", "dispatch"]) }),
      z.object({ possible: z.literal(false), code: z.string(), detail: z.string() }),
    ])
    .describe(
      "what `POST …/dead-letters/{id}/redrive` would do now: send it back to `queue`, or refuse it (409) with `code` and `detail`",
    ),
  partial: z
    .literal(true)
    .optional()
    .describe("D1 could not be read: the coordinator's copy is answered, and D1 may hold one too"),
});

/** `POST …/jobs/{id}/events/ticket` (201): a browser's pass to one job's feed (`?ticket=`). */
export const TicketSchema = z.object({ ticket: z.string(), expiresAt: ms });

/** `GET …/queue-state`: changes whenever the queue does. */
export const QueueStateSchema = z.object({ version: z.number().int() });
