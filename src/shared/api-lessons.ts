/**
 * @module shared/api-lessons
 * The wire format of the lessons journal (issue 9 item 7): `POST …/lessons`, `PATCH …/lessons/{id}` and the list
 * query of `GET …/lessons`, and the lesson they answer with — zod schemas shared by the Worker's route, the OpenAPI
 * document and the CLI. Strict like the rest of shared/api; byte limits come from core/lessons LESSON_LIMITS (the
 * one place they are set).
 */
import { z } from "zod";
import { utf8Text } from "../core/bytes.ts";
import { LESSON_ID, LESSON_LIMITS } from "../core/lessons.ts";
import { SerialKeySchema } from "../core/serial-gates.ts";
import { CHANGED, queryInt } from "./api.ts";
import { plainText } from "./plain-text.ts";

/** Same spelling rules as a manifest's `requires` entries (core/manifest-schema), so a lesson can match a job. */
const Capability = z.string().regex(/^[a-z0-9][a-z0-9._:/+-]{0,63}$/i, { error: "must be a capability like os:linux" });
/** Same spelling rules as a manifest's `engine`. */
const Engine = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,31}$/, { error: "must be an engine name like claude" });

const LessonText = utf8Text(LESSON_LIMITS.textMaxBytes, plainText(z.string().trim().min(1)));
const Capabilities = z.array(Capability).max(LESSON_LIMITS.capabilitiesMax);

/** A lesson id as the coordinator makes them (`les_…`, runtime/tx newId). */
export const LessonIdParam = z.string().regex(LESSON_ID, { error: "must be a lesson id (les_…)" });

/** `POST …/lessons`: a new operator lesson; no scope = product-wide. */
export const LessonBody = z
  .object({
    text: LessonText,
    capabilities: Capabilities.default([]),
    engine: Engine.optional(),
    serialKey: SerialKeySchema.optional(),
  })
  .strict();

/** `PATCH …/lessons/{id}`: any subset; `null` clears engine or serial key; `archived: true` archives. */
export const LessonPatchBody = z
  .object({
    text: LessonText.optional(),
    capabilities: Capabilities.optional(),
    engine: Engine.nullable().optional(),
    serialKey: SerialKeySchema.nullable().optional(),
    archived: z.boolean().optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, "name at least one of text, capabilities, engine, serialKey, archived");

/** `GET …/lessons`: newest first, paged by an opaque cursor; archived lessons only when asked for. */
export const LessonListQuery = z
  .object({
    source: z.enum(["auto", "operator"]).optional(),
    /** A substring of the text (case-insensitive for ASCII). */
    q: utf8Text(800, z.string().trim().min(1)).optional(),
    archived: z.enum(["exclude", "include", "only"]).default("exclude"),
    limit: queryInt(z.number().min(1).max(200)).default(50),
    cursor: z
      .string()
      .regex(/^\d{1,16}:les_[a-z0-9]{1,40}$/, { error: "must be a nextCursor from an earlier page" })
      .optional(),
  })
  .strict();

export type LessonBodyT = z.infer<typeof LessonBody>;
export type LessonPatchT = z.infer<typeof LessonPatchBody>;
export type LessonListQueryT = z.infer<typeof LessonListQuery>;

// ---- answers (each checked against its route's type in worker/openapi-answer-types) ----

const ms = z.number().int().describe("ms epoch");

/** A lesson (core/lessons `Lesson`): `POST` (201) and `PATCH` answer it, `GET` lists them. */
export const LessonSchema = z.object({
  id: z.string(),
  text: z.string(),
  source: z.enum(["auto", "operator"]),
  trigger: z.string().optional().describe("why an automatic lesson was recorded (retry_exhausted, …)"),
  subject: z.string().optional().describe("what an automatic lesson is about (job:<id>, factory:<id>, …)"),
  capabilities: z.array(z.string()),
  engine: z.string().optional(),
  serialKey: z.string().optional(),
  count: z
    .number()
    .int()
    .describe(
      "times the same automatic lesson was seen within its dedupe window: its trigger and subject again, or another subject's lesson of the same trigger, text and scope (one row for a batch's jobs failing alike; `subject` stays the first one's)",
    ),
  createdAt: ms,
  updatedAt: ms,
  createdBy: z.string().describe("system for automatic lessons, else the operator"),
  archived: z.boolean().optional(),
  editedBy: z
    .string()
    .optional()
    .describe(
      "the operator who last reworded this automatic lesson (its text or scope): its repeats count but keep those words",
    ),
});

/** `PATCH …/lessons/{id}`: the lesson, and whether the patch changed it (false: already so; `updatedAt` kept). */
export const LessonEditAnswerSchema = LessonSchema.extend(CHANGED);

/** `GET …/lessons`: newest first; pass `nextCursor` back as `cursor`. */
export const LessonPageSchema = z.object({ items: z.array(LessonSchema), nextCursor: z.string().optional() });
