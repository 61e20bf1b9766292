/**
 * @module shared/api
 * The REST wire format: zod schemas for every request body, query and path
 * parameter, shared by the Worker (validation at the boundary), the agent and
 * the CLI (typed clients) and the OpenAPI document. Unknown fields are errors
 * (`strict`), so a typo is reported instead of silently ignored. The fleet policies' schemas (waiting reason,
 * serial gates, reviews, settings, composite children) are in shared/api-policies; what a factory sends about its
 * work (claim, report, lease) in shared/api-work; the dead letters' in shared/api-dead-letters.
 */

import { z } from "zod";
import { ARTIFACT_PAGE_DEFAULT, MAX_ARTIFACTS_PER_JOB } from "../core/artifact-limits.ts";
import { utf8Text } from "../core/bytes.ts";
import { MANIFEST_SHAPE, MIN_BUDGET_USD } from "../core/manifest-schema.ts";
import { STAGES } from "../core/model.ts";
import { ReviewRoundField } from "../core/review.ts";
import { plainName, plainText } from "./plain-text.ts";
import { queryInt } from "./query-int.ts";

export { queryInt } from "./query-int.ts";

/** Product ids double as Durable Object names and token prefixes: keep them plain. */
export const ProductId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lowercase letters, digits and '-', at most 63");
export const EntityId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "an id of letters, digits, '_' or '-'");
export const Capability = z.string().regex(/^[a-z0-9][a-z0-9._:/+-]{0,63}$/i, "a capability such as os:linux");

export { DerivedKeyHeader, IdempotencyKeyHeader } from "./api-keys.ts";
/** `Last-Event-ID` of the live feeds: the seq to resume after, in decimal digits, as a browser's EventSource sends. */
export const LastEventIdHeader = queryInt(z.number().max(Number.MAX_SAFE_INTEGER));
export const JobListQuery = z
  .object({
    stage: z.enum(STAGES).optional(),
    limit: queryInt(z.number().min(1).max(500)).default(50),
    cursor: utf8Text(200, z.string().min(1)).optional(),
    // summary (default): each job without its `bodyMd` (up to 256 KiB each); full: whole documents, in pages cut
    // at MAX_FULL_PAGE_BYTES. GET …/jobs/{id} always returns the whole document.
    fields: z
      .enum(["summary", "full"])
      .default("summary")
      .describe("summary (default): jobs without bodyMd; full: whole documents, pages cut at 4 MiB"),
  })
  .strict();

export const JOB_ACTIONS = ["requeue", "cancel", "ship", "approve", "reject"] as const;
export const ActionParam = z.enum(JOB_ACTIONS);
/** An action's note (a reject's is the engine's feedback): UTF-8 bytes, mirrored by the dashboard's note box. */
export const ACTION_NOTE_MAX_BYTES = 16_000;
export const ActionBody = z
  .object({
    reviewer: utf8Text(400, plainName(z.string().min(1))).optional(),
    round: ReviewRoundField.optional(), // approve and reject only
    note: utf8Text(ACTION_NOTE_MAX_BYTES, plainText(z.string())).optional(),
    // Requeue only: a job that has spent its own budget would fail budget_exceeded on its first cent (409 without).
    budgetUsd: z
      .number()
      .min(MIN_BUDGET_USD) // the manifest's own bounds on budget.usd (core/manifest-schema)
      .max(100_000)
      .optional()
      .describe(
        "requeue only: the job's new budget.usd (its whole spend, earlier runs included); must be above what it has " +
          "spent. A job with no allowance left is refused 409 budget_exceeded without it",
      ),
    budgetTokens: z
      .number()
      .int()
      .positive()
      .max(1e9) // the manifest's own bound on budget.tokens
      .optional()
      .describe(
        "requeue only: the job's new budget.tokens (in + out, earlier runs included); must be above what it has used",
      ),
  })
  .strict();

export const HostName = z // a factory's name; also what `gigafactory-agent enroll` checks before sending a code
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "a host name of letters, digits, '.', '_' or '-'");

export const EnrollBody = z
  .object({
    name: HostName,
    capabilities: z.array(Capability).max(64).default([]),
    seats: z.number().int().min(1).max(64).default(1),
    // With a code only: the agent's random secret (22–64 base64url characters), kept before it is sent; the code and
    // it again resume a lost enrollment, the spent code alone does not (coordinator access/enrollment-resume).
    nonce: z
      .string()
      .regex(/^[A-Za-z0-9_-]{22,64}$/, "22 to 64 base64url characters")
      .optional(),
  })
  .strict();

export const HeartbeatBody = z
  .object({
    capabilities: z.array(Capability).max(64).optional(),
    seats: z.number().int().min(1).max(64).optional(),
  })
  .strict();

/** Enrollment codes live an hour by default: long enough to paste, short enough to leak harmlessly. */
export const EnrollmentCodeBody = z
  .object({
    ttlSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600)
      .default(3600),
    // Bound to the code (coordinator access/enrollment): the host that redeems it must have this name, and gets at
    // most these seats, whatever it asks for.
    name: HostName.optional().describe("the only host name that may redeem this code"),
    seats: z.number().int().min(1).max(64).optional().describe("the most seats the redeeming host is granted"),
  })
  .strict();

/**
 * An operator approves what a factory declared beyond its grant: the named capabilities (all pending ones when
 * absent), and/or a new seat limit (the most seats it may declare and be given).
 */
export const ApproveGrantBody = z
  .object({
    capabilities: z.array(Capability).min(1).max(64).optional(),
    seatLimit: z.number().int().min(1).max(64).optional(),
  })
  .strict();

export const FactoryStatusBody = z.object({ status: z.enum(["active", "draining", "quarantined"]) }).strict();

export const MintTokenBody = z
  .object({ role: z.enum(["operator", "viewer"]), name: utf8Text(400, plainName(z.string().min(1))) })
  .strict();

/** `POST /api/v1/products` (admin): create a product explicitly; idempotent (`201` new, `200` existing). */
export const CreateProductBody = z.object({ id: ProductId }).strict();

export const EventsQuery = z
  .object({
    after: queryInt(z.number().min(0).max(Number.MAX_SAFE_INTEGER)).default(0),
    limit: queryInt(z.number().min(1).max(500)).default(200),
  })
  .strict();

export const FeedQuery = z
  .object({
    after: queryInt(z.number().min(0).max(Number.MAX_SAFE_INTEGER)).optional(),
    ticket: utf8Text(512, z.string().min(1)).optional(),
  })
  .strict();

export const ArtifactName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "a file name of letters, digits, '.', '_' or '-'");

export const ArtifactUploadQuery = z
  .object({ name: ArtifactName, leaseEpoch: queryInt(z.number().min(0).max(Number.MAX_SAFE_INTEGER)).optional() })
  .strict();

/** `GET …/jobs/{id}/artifacts`: a page in name order; `cursor` is a page's `nextCursor` (the last name it listed). */
export const ArtifactListQuery = z
  .object({
    limit: queryInt(z.number().min(1).max(MAX_ARTIFACTS_PER_JOB)).default(ARTIFACT_PAGE_DEFAULT),
    cursor: ArtifactName.optional().describe("a page's nextCursor: the artifacts named after it"),
  })
  .strict();

/** One manifest in a bulk submission: raw markdown, or JSON fields plus a body. */
/** What a bulk item is, said when one is neither shape. */
const ITEM_SHAPE =
  "an item is either {markdown} (a manifest as markdown) or {manifest, bodyMd?} (a JSON manifest and its body), " +
  "not both, and not neither: keep one of `markdown` and `manifest`";
export const BatchItem = z.union(
  [
    z
      .object({
        markdown: utf8Text(256 * 1024, z.string().min(1)),
      })
      .strict(),
    z
      .object({
        manifest: z.unknown(),
        bodyMd: utf8Text(256 * 1024).default(""),
      })
      .strict(),
  ],
  // Zod's own word for an object that is neither shape (both `markdown` and `manifest`, or neither) is "Invalid input".
  { error: ITEM_SHAPE },
);
export const BatchBody = z.object({ items: z.array(BatchItem).min(1).max(10_000) }).strict();

export const TrackerIngestBody = z
  .object({
    source: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,31}$/, "a tracker name such as github or linear"),
    externalId: utf8Text(512, plainName(z.string().min(1))),
    // The manifest's own bounds (the item becomes one): a looser one here documented values the route refuses.
    title: MANIFEST_SHAPE.title,
    // The schema's byte bound is not the one that decides: the whole item must travel in one dispatch-queue
    // message (worker/queues/messages MAX_MESSAGE_BYTES, which the tracker-size test holds this text to).
    body: utf8Text(256 * 1024)
      .describe(
        "The item's markdown body. The bound that decides is the whole item's: its JSON (this body with the other " +
          "fields), in UTF-8 bytes, must fit one dispatch-queue message — 102400 bytes less the message's envelope " +
          "(a few hundred bytes). Past it the answer is 413 payload_too_large naming the item's size and the limit; " +
          "the 262144 bytes of maxLength is only the schema's first cut.",
      )
      .default(""),
    priority: z.enum(["critical", "high", "medium", "low"]).optional(),
    requires: z.array(Capability).max(32).optional(),
    prefers: z.array(Capability).max(32).optional(),
    engine: MANIFEST_SHAPE.engine,
    repo: MANIFEST_SHAPE.repo,
    serialKey: MANIFEST_SHAPE.serialKey,
  })
  .strict();

/**
 * `changed`, on the answer of an operator action that may find nothing to do (budget pause/resume, serial unfreeze,
 * experiment stop, lesson edit/archive): false when it was a no-op — already so, nothing written, nothing audited.
 * Such a request is still a 200, so a retried one never fails.
 */
export const CHANGED = {
  changed: z.boolean().describe("false: a no-op (already so): nothing was written or audited"),
};

export { DeadLetterIdParam, DeadLetterKey, DeadLettersQuery } from "./api-dead-letters.ts";

export type EnrollBodyT = z.infer<typeof EnrollBody>;
