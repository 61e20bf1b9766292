/**
 * @module worker/openapi-ops-lessons
 * The lessons journal's operations of the OpenAPI document (issue 9 item 7): list (D1), add and edit/archive
 * (through the coordinator, audited). Bodies and the query are the zod schemas of shared/api-lessons.
 */
import {
  LessonBody,
  LessonEditAnswerSchema,
  LessonListQuery,
  LessonPageSchema,
  LessonPatchBody,
  LessonSchema,
} from "../shared/api-lessons.ts";
import { type Op, P } from "./openapi-ops.ts";
import { json } from "./openapi-schemas.ts";

export const LESSON_OPS: Op[] = [
  {
    method: "get",
    path: `${P}/lessons`,
    operationId: "listLessons",
    summary: "The product's lessons from D1, newest first",
    description:
      "The product's lessons from D1, newest first (updatedAt, then id): `{items: [{id, text, source: auto|operator, " +
      "trigger?, subject?, capabilities, engine?, serialKey?, count, createdAt, updatedAt, createdBy, archived?, " +
      "editedBy?}], nextCursor?}`; editedBy names the operator who reworded an automatic lesson (its repeats keep " +
      "those words). Filters source, q (text substring), archived (exclude by default | include | only). Trails the " +
      "coordinator by the outbox delay",
    role: "viewer",
    query: LessonListQuery,
    ok: { "200": json("A page of lessons", LessonPageSchema) },
  },
  {
    method: "post",
    path: `${P}/lessons`,
    operationId: "addLesson",
    summary: "Add an operator lesson (201)",
    description:
      "Add an operator lesson (201, the lesson). Scope: capabilities (all must be in a job's requires), engine, " +
      "serialKey — each one set narrows: a job gets it in its assignment when it matches all of them; no scope = " +
      "every job. Text ≤ 1024 bytes of UTF-8. Audited `lesson.create`",
    role: "operator",
    body: LessonBody,
    ok: { "201": json("The lesson", LessonSchema) },
  },
  {
    method: "patch",
    path: `${P}/lessons/{lessonId}`,
    operationId: "updateLesson",
    summary: "Edit a lesson's text or scope, or archive it",
    description:
      "Edit a lesson's text or scope (null clears engine/serialKey), or archive it (`archived: true`; false " +
      "restores). Answers the lesson and `changed`: false when the patch changed nothing (archiving an archived " +
      "lesson: nothing written or audited, `updatedAt` kept). 404 for an unknown id. Audited `lesson.update` / " +
      "`lesson.archive`. Editing an automatic lesson's text or scope makes them the operator's (`editedBy`: the " +
      "actor; archiving or restoring keeps it): a repeat of its trigger within 24 h counts it but never rewrites " +
      "them. An archived automatic lesson that repeats within 24 h of its last sighting is counted and stays " +
      "archived; after that a new one is recorded",
    role: "operator",
    // The route's "at least one field" is a refinement JSON Schema cannot show; on a strict object it is this.
    body: LessonPatchBody.meta({ minProperties: 1 }),
    ok: { "200": json("The lesson as edited, and whether it changed", LessonEditAnswerSchema) },
  },
];
