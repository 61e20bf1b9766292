// An automatic lesson an operator archived stays archived when it repeats, however many lessons the product has
// (workerd): past LESSON_LIMITS.mirrorKept lessons the mirror prunes archived ones first (no assignment reads them),
// and automatic lessons are deduplicated only against the mirror, so the archived lesson's next dead letter within
// the 24 h window was recorded as a NEW live lesson — back in every assignment of its capability, though the operator
// had archived it on purpose. Now the prune spares archived automatic lessons still inside their dedupe window
// (bounded: policies/lesson-prune ARCHIVED_REPEATS_KEPT): the repeat counts on the archived one, and no live copy
// appears, in the mirror, in D1 or in a claim. One quiet for longer than the window is pruned as before.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LESSON_LIMITS, type Lesson } from "../../src/core/lessons.ts";
import { ARCHIVED_REPEATS_KEPT } from "../../src/durable-objects/coordinator/policies/lesson-prune.ts";
import { ADMIN, api, enroll, P, submit } from "./client.ts";
import { failOnce, lessonMirror, listLessonsUntil, requeueJob } from "./lesson-support.ts";

/** `count` live operator lessons of another scope, newer than `after`, written as the coordinator stores them. */
async function fill(product: string, after: number, count: number) {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    for (let i = 0; i < count; i++) {
      const at = after + 1 + i;
      const doc: Lesson = {
        id: `les_fill${String(i).padStart(4, "0")}`,
        text: `go lesson ${i}`,
        source: "operator",
        capabilities: ["lang:go"],
        count: 1,
        createdAt: at,
        updatedAt: at,
        createdBy: "ops",
      };
      state.storage.sql.exec(
        "INSERT INTO lessons(id, source, trigger, subject, updated_at, archived, doc) VALUES (?, 'operator', NULL, NULL, ?, 0, ?)",
        doc.id,
        at,
        JSON.stringify(doc),
      );
    }
  });
}

/** One more lesson through the API: its save prunes the mirror. */
async function addOne(product: string) {
  const more = await api("POST", `${P(product)}/lessons`, {
    token: ADMIN,
    json: { text: "go: vendor the modules", capabilities: ["lang:go"] },
  });
  expect(more.status).toBe(201);
}

/** A job dead-lettered once (its automatic lesson recorded), and that lesson archived by an operator. */
async function archivedAutoLesson(product: string) {
  const f = await enroll(product, "host", ["lang:ts"]);
  const job = await submit(product, { title: "hopeless", maxAttempts: 1, requires: ["lang:ts"] });
  await failOnce(product, f.token, job.id);
  const [auto] = (await listLessonsUntil(product, "?source=auto", (p) => p.items.length === 1)).items;
  const archived = await api<Lesson>("PATCH", `${P(product)}/lessons/${auto!.id}`, {
    token: ADMIN,
    json: { archived: true },
  });
  expect(archived.body).toMatchObject({ archived: true, count: 1 });
  return { f, job, lesson: archived.body };
}

describe("an archived automatic lesson in a product past the mirror's bound", () => {
  it("its repeat within the window counts on the archived lesson; no live copy comes back", async () => {
    const product = "lesson-archived-repeat";
    const { f, job, lesson } = await archivedAutoLesson(product);
    await fill(product, lesson.updatedAt, LESSON_LIMITS.mirrorKept);
    await addOne(product);
    // Still in the mirror (the prune spared it), though more than mirrorKept lessons are newer than it.
    const mirror = await lessonMirror(product);
    expect(mirror.filter((l) => l.id === lesson.id)).toHaveLength(1);
    expect(mirror.length).toBeLessThanOrEqual(LESSON_LIMITS.mirrorKept + ARCHIVED_REPEATS_KEPT);

    expect((await requeueJob(product, job.id)).status).toBe(200);
    await failOnce(product, f.token, job.id);
    const autos = await listLessonsUntil(
      product,
      "?source=auto&archived=include",
      (p) => p.items.some((l) => l.count === 2) || p.items.length > 1,
    );
    expect(autos.items.map((l) => [l.id, l.count, l.archived])).toEqual([[lesson.id, 2, true]]);
    expect((await lessonMirror(product)).filter((l) => l.source === "auto" && !l.archived)).toEqual([]);

    // Its jobs are not told it again.
    const job2 = await submit(product, { title: "another ts job", requires: ["lang:ts"] });
    const c = await api<{ job: { id: string }; lessons: Array<{ id: string }> }>("POST", `${P(product)}/claim`, {
      token: f.token,
      json: {},
    });
    expect(c.body.job.id).toBe(job2.id);
    expect(c.body.lessons.map((l) => l.id)).not.toContain(lesson.id);
  });

  it("one quiet for longer than the window is pruned as before, and the mirror stays bounded", async () => {
    const product = "lesson-archived-quiet";
    const { lesson } = await archivedAutoLesson(product);
    // Last repeated 25 h ago: no repeat can dedupe onto it any more (core/lessons dedupeTarget).
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const at = Date.now() - 25 * 3_600_000;
      state.storage.sql.exec(
        "UPDATE lessons SET updated_at = ?1, doc = json_set(doc, '$.updatedAt', ?1) WHERE id = ?2",
        at,
        lesson.id,
      );
    });
    await fill(product, lesson.updatedAt, LESSON_LIMITS.mirrorKept);
    await addOne(product);
    const mirror = await lessonMirror(product);
    expect(mirror.map((l) => l.id)).not.toContain(lesson.id);
    expect(mirror).toHaveLength(LESSON_LIMITS.mirrorKept);
  });

  it("spares at most ARCHIVED_REPEATS_KEPT of them, the most recently repeated", async () => {
    const product = "lesson-archived-many";
    const now = Date.now();
    const extra = ARCHIVED_REPEATS_KEPT + 20;
    // Archived automatic lessons, all inside the window, the newest last.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      for (let i = 0; i < extra; i++) {
        const at = now - 3_600_000 + i;
        const doc: Lesson = {
          id: `les_arch${String(i).padStart(4, "0")}`,
          text: `flaky ${i}`,
          source: "auto",
          trigger: "retry_exhausted",
          subject: `job:arch${i}`,
          capabilities: [],
          count: 1,
          createdAt: at,
          updatedAt: at,
          createdBy: "system",
          archived: true,
        };
        state.storage.sql.exec(
          "INSERT INTO lessons(id, source, trigger, subject, updated_at, archived, doc) VALUES (?, 'auto', ?, ?, ?, 1, ?)",
          doc.id,
          doc.trigger,
          doc.subject,
          at,
          JSON.stringify(doc),
        );
      }
    });
    await fill(product, now, LESSON_LIMITS.mirrorKept);
    await addOne(product);
    const mirror = await lessonMirror(product);
    expect(mirror).toHaveLength(LESSON_LIMITS.mirrorKept + ARCHIVED_REPEATS_KEPT);
    const kept = mirror.filter((l) => l.archived).map((l) => l.id);
    expect(kept).toHaveLength(ARCHIVED_REPEATS_KEPT);
    expect(kept.at(-1)).toBe(`les_arch${String(extra - ARCHIVED_REPEATS_KEPT).padStart(4, "0")}`);
  });
});
