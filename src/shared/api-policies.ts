/**
 * @module shared/api-policies
 * The wire format of the fleet policies (issue 8). The waiting reason every job read carries, serial-gate freezes
 * and the gates' view, reviews, product settings and composite children: zod schemas shared by the Worker's routes
 * and the OpenAPI document, strict like the rest of shared/api (the review gate's answer is in shared/api-job-answers).
 */

import { z } from "zod";
import { utf8Text } from "../core/bytes.ts";
import { MAX_CHILDREN_PER_REQUEST } from "../core/composite.ts";
import { ChildManifestSchema } from "../core/manifest-schema.ts";
import { MAX_COMMENT_BYTES, ReviewRoundField } from "../core/review.ts";
import { FREEZE_REASON_MAX_BYTES, SERIAL_KEY_MAX_BYTES, SerialKeySchema } from "../core/serial-gates.ts";
import { SettingsPatchSchema } from "../core/settings.ts";
import { WAITING_CODES } from "../core/waiting-reason.ts";
import { CHANGED, queryInt } from "./api.ts";
import { plainText } from "./plain-text.ts";

/**
 * Why a job waits (core/waiting): the `waitingReason` every job read carries — null while the job runs or once it
 * is terminal. A response shape, not a request body: the OpenAPI document describes it from this schema.
 */
export const WaitingReasonSchema = z
  .object({
    code: z.enum(WAITING_CODES),
    message: z.string().min(1),
    /** ms epoch */
    since: z.number().int(),
    detail: z.record(z.string(), z.unknown()),
    fix: z
      .string()
      .min(1)
      .optional()
      .describe("the command(s) that end the wait where the message names none (core/waiting-fix); absent otherwise"),
  })
  .strict();

// ---- serial gates & reviews (issue 8, part 4) ----

/** A serial key in a path (`/serial/{key}`, URL-encoded, validated decoded): what a manifest's `serialKey` may be. */
export const SerialKeyParam = SerialKeySchema;

/** Why a key is frozen (or unfrozen): 1..500 bytes of UTF-8 (zod's max counts characters; the bytes are refined). */
const FreezeReason = utf8Text(FREEZE_REASON_MAX_BYTES, plainText(z.string().trim().min(1)));

export const FreezeBody = z.object({ reason: FreezeReason }).strict();
/** The reason is optional when unfreezing (the freeze's own reason stays in the audit log). */
export const UnfreezeBody = z.object({ reason: FreezeReason.optional() }).strict();

export const SerialListQuery = z
  .object({
    limit: queryInt(z.number().min(1).max(200)).default(50),
    cursor: utf8Text(SERIAL_KEY_MAX_BYTES, z.string().min(1)).optional(),
  })
  .strict();

/** One serial key as `GET …/serial`, freeze and unfreeze answer it (core/serial-gates `SerialGate`). */
export const SerialGateSchema = z.object({
  key: z.string(),
  holder: z.string().nullable().describe("the job holding the key (assigned or building)"),
  stopping: z
    .object({
      jobId: z.string(),
      factoryId: z.string(),
      leaseEpoch: z.number().int(),
      until: z
        .number()
        .int()
        .describe(
          "ms epoch: the latest the key stays held — the old lease's expiry plus the grace an agent that hears nothing gives its engine, max(TTL, 30 s), and 5 s to stop it",
        ),
    })
    .nullable()
    .describe(
      "with no running holder: the run whose lease was taken by force (cancel, requeue, preemption, budget stop…) " +
        "or lapsed, and which holds the key until its factory says it stopped, at the latest until `until`",
    ),
  queue: z
    .array(z.string())
    .describe("queued job ids as dispatch takes them: due ones most urgent first, then those in retry backoff (≤ 50)"),
  next: z
    .string()
    .nullable()
    .describe(
      "the job dispatch gives the key to next: the most urgent one due now (not in retry backoff); null if none",
    ),
  nextDueAt: z
    .number()
    .int()
    .nullable()
    .describe("with no job due: ms epoch when the first retry backoff ends (the next one becomes due); else null"),
  queueLength: z.number().int(),
  frozen: z.object({ by: z.string(), reason: z.string(), at: z.number().int().describe("ms epoch") }).nullable(),
});

/** `POST …/serial/{key}/unfreeze`: the key's gate, and whether it was frozen (false: never or no longer frozen). */
export const SerialUnfreezeAnswerSchema = SerialGateSchema.extend(CHANGED);

/** `POST …/serial/{key}/freeze`: the key's gate, and whether anything changed (false: frozen already, same reason). */
export const SerialFreezeAnswerSchema = SerialGateSchema.extend(CHANGED);

/** `GET …/serial`: every key with a holder, a queue or a freeze, in key order. */
export const SerialPageSchema = z.object({
  keys: z.array(SerialGateSchema),
  nextCursor: z.string().optional(),
});

/** `POST …/jobs/{id}/reviews`: the reviewer is the caller's token, never a name in the body. */
export const ReviewBody = z
  .object({
    verdict: z.enum(["approve", "reject"]),
    comment: utf8Text(MAX_COMMENT_BYTES, plainText(z.string().trim())).optional(),
    round: ReviewRoundField.optional(),
  })
  .strict();
// ---- product settings (part 1) ---------------------------------------------------

/**
 * `PATCH …/settings`: any subset of the operator-settable keys (core/settings `SettingsPatchSchema`: strict, nested
 * objects merged key by key); the answer is the whole `ProductSettings` record.
 */
export const SettingsPatchBody = SettingsPatchSchema;

/** The router's weights per term (core/model `RouterWeights`): settings, explain. */
export const WeightsSchema = z.object({
  capabilityFit: z.number(),
  affinity: z.number(),
  load: z.number(),
  costFit: z.number(),
  health: z.number(),
  starvation: z.number(),
  track: z.number(),
});

/** `GET …/settings`, and the whole new record `PATCH …/settings` answers. */
export const SettingsSchema = z.object({
  preemption: z.boolean(),
  leaseTtlSeconds: z.number().int(),
  weights: WeightsSchema,
  agingHorizonMinutes: z.number(),
  retry: z.object({ baseSeconds: z.number(), maxSeconds: z.number(), jitter: z.number() }),
  frozenSerialKeys: z.array(z.string()),
  budgetPaused: z.boolean(),
  overflow: z.enum(["route", "hold"]),
  breaker: z.object({
    failureThreshold: z.number().int(),
    coolDownSeconds: z.number(),
    maxCoolDownSeconds: z.number(),
  }),
  errorBudget: z.object({ windowMinutes: z.number(), maxFailures: z.number().int() }),
  health: z.object({
    stuckAfterMinutes: z.number(),
    starvingAfterMinutes: z.number(),
    expectedFinishIntervalMinutes: z.number(),
  }),
  routing: z.object({ objective: z.enum(["success_per_usd", "success_per_minute"]), minSamples: z.number().int() }),
  prices: z
    .record(z.string(), z.object({ usdPerMillionIn: z.number(), usdPerMillionOut: z.number() }))
    .describe(
      "USD per million tokens read/written, per engine key (* = the default engine), for tokens no USD came for",
    ),
});

/** What the settings answer says of the aging guarantee (core/aging `agingGuarantee`), derived, never set. */
export const AgingGuaranteeSchema = z.object({
  holds: z.boolean().describe("a low job under a steady stream of fresh high jobs is assigned within a bound"),
  lowUnderHighMinutes: z
    .number()
    .nullable()
    .describe("that bound, minutes, plus two seat turnovers (the message states the total); null when off"),
  starvationAbove: z.number().describe("the guarantee holds exactly when weights.starvation is above this"),
  message: z.string(),
});

/** `GET …/settings` and `PATCH …/settings`: the whole record, and what it means for the aging guarantee. */
export const SettingsAnswerSchema = SettingsSchema.extend({ aging: AgingGuaranteeSchema });

// ---- DAG (composite jobs) ---------------------------------------------------------

/** 1 MiB: 500 children of a couple of KB each; a bigger batch of work is a bulk submission (`/jobs:batch`). */
export const MAX_CHILDREN_BYTES = 1024 * 1024;

/** `POST …/jobs/{id}/children`: the children to create (deps may name a sibling by `#<index>`). */
export const ChildrenBody = z
  .object({ children: z.array(ChildManifestSchema).min(1).max(MAX_CHILDREN_PER_REQUEST) })
  .strict();
