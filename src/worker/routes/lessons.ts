/**
 * @module worker/routes/lessons
 * The lessons journal (issue 9 item 7). `GET …/lessons` (viewer and above) reads D1, the store of record: newest
 * first (by `updatedAt`, then id), filtered by `source`, a text substring `q` and `archived`, paged by `nextCursor`
 * — it trails the coordinator by the outbox delay. `POST …/lessons` and `PATCH …/lessons/{id}` (operator) go
 * through the coordinator (rpc/lessons), so its mirror — what `assign` frames carry — and D1 agree; both audited.
 */
import { and, desc, eq, lt, or, type SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import type { Lesson } from "../../core/lessons.ts";
import { lessons as table } from "../../history/schema.ts";
import { LessonBody, LessonIdParam, LessonListQuery, LessonPatchBody } from "../../shared/api-lessons.ts";
import { type AppEnv, actorOf, openerOf, requireRole } from "../auth.ts";
import { body, noQuery, param, query } from "../validate.ts";

export const lessons = new Hono<AppEnv>();

type Row = typeof table.$inferSelect;

/** A D1 row → the lesson record every answer uses (the same shape the coordinator keeps, `editedBy` included). */
export function rowToLesson(r: Row): Lesson {
  return JSON.parse(
    JSON.stringify({
      id: r.id,
      text: r.text,
      source: r.source,
      trigger: r.trigger ?? undefined,
      subject: r.subject ?? undefined,
      capabilities: JSON.parse(r.capabilities) as string[],
      engine: r.engine ?? undefined,
      serialKey: r.serialKey ?? undefined,
      count: r.count,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      createdBy: r.createdBy,
      archived: r.archived || undefined,
      // Who took this automatic lesson over (NULL: nobody): an edit of one the mirror pruned keeps it from here.
      editedBy: r.editedBy ?? undefined,
    }),
  ) as Lesson;
}

lessons.get("/lessons", async (c) => {
  requireRole(c, "viewer");
  const q = query(c, LessonListQuery);
  const where: SQL[] = [eq(table.productId, c.get("productId"))];
  if (q.source) where.push(eq(table.source, q.source));
  if (q.archived !== "include") where.push(eq(table.archived, q.archived === "only"));
  // instr, not LIKE: the operator's text is matched literally (no % or _ wildcards to escape).
  if (q.q) where.push(sql`instr(lower(${table.text}), lower(${q.q})) > 0`);
  if (q.cursor) {
    const [at, id] = [Number(q.cursor.slice(0, q.cursor.indexOf(":"))), q.cursor.slice(q.cursor.indexOf(":") + 1)];
    where.push(or(lt(table.updatedAt, at), and(eq(table.updatedAt, at), lt(table.id, id))) as SQL);
  }
  const rows = await drizzle(c.env.DB)
    .select()
    .from(table)
    .where(and(...where))
    .orderBy(desc(table.updatedAt), desc(table.id))
    .limit(q.limit + 1);
  const items = rows.slice(0, q.limit).map(rowToLesson);
  const last = items[items.length - 1];
  const more = rows.length > q.limit && last !== undefined;
  return c.json({ items, ...(more ? { nextCursor: `${last.updatedAt}:${last.id}` } : {}) });
});

lessons.post("/lessons", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const input = await body(c, LessonBody);
  const lesson = await unwrap(
    c.get("coordinator").addLesson(c.get("productId"), input, actorOf(principal), openerOf(c)),
  );
  return c.json(lesson, 201);
});

lessons.patch("/lessons/:lessonId", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const id = param(c, "lessonId", LessonIdParam);
  const patch = await body(c, LessonPatchBody);
  const productId = c.get("productId");
  // The coordinator keeps only its newest lessons: an older one is edited from the row D1 holds.
  const row = (
    await drizzle(c.env.DB)
      .select()
      .from(table)
      .where(and(eq(table.productId, productId), eq(table.id, id)))
      .limit(1)
  )[0];
  const known = row ? rowToLesson(row) : undefined;
  return c.json(
    await unwrap(c.get("coordinator").editLesson(productId, id, patch, actorOf(principal), known, openerOf(c))),
  );
});
