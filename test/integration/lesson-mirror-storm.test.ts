// A storm of automatic lessons does not push a relevant lesson out of the coordinator's mirror (workerd): the mirror
// keeps LESSON_LIMITS.mirrorKept lessons and assignments read only the mirror, so a lesson pruned from it is never
// sent again. More than the mirror keeps of newer live automatic lessons — one scope repeated (dead letters of one
// capability), or each its own serial key — used to prune an older lesson of another scope, which no newer lesson
// could replace in its jobs' assignments: a claim of its capability now still carries it. Nor do copies of one
// sentence in its own scope (an assignment carries a text once): the copies go first, the lesson behind them stays.
// An automatic lesson an operator reworded is kept as the operator's own lessons are (before the coordinator's own
// automatic ones): pruned as one of those, the operator's words stopped reaching its jobs.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LESSON_LIMITS, type Lesson } from "../../src/core/lessons.ts";
import { ADMIN, api, enroll, P, submit } from "./client.ts";

/**
 * `count` live automatic lessons, all newer than `after`, written as the coordinator stores them (500 dead letters
 * through the API would take minutes).
 */
async function storm(product: string, after: number, count: number, scope: (i: number) => Partial<Lesson>) {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    for (let i = 0; i < count; i++) {
      const at = after + 1 + i;
      const doc: Lesson = {
        id: `les_storm${i}`,
        text: `"job ${i}" failed 3 time(s) and was dead-lettered; last: boom`,
        source: "auto",
        trigger: "retry_exhausted",
        subject: `job:storm${i}`,
        capabilities: [],
        ...scope(i),
        count: 1,
        createdAt: at,
        updatedAt: at,
        createdBy: "system",
      };
      state.storage.sql.exec(
        "INSERT INTO lessons(id, source, trigger, subject, updated_at, archived, doc) VALUES (?, 'auto', ?, ?, ?, 0, ?)",
        doc.id,
        doc.trigger,
        doc.subject,
        at,
        JSON.stringify(doc),
      );
    }
  });
}

/** One more lesson through the API (its save prunes the mirror), then a claim of a `lang:cobol` job: its lessons. */
async function cobolClaimLessons(product: string) {
  const more = await api("POST", `${P(product)}/lessons`, {
    token: ADMIN,
    json: { text: "go: vendor the modules", capabilities: ["lang:go"] },
  });
  expect(more.status).toBe(201);
  const f = await enroll(product, "host", ["lang:cobol"]);
  await submit(product, { title: "cobol job", requires: ["lang:cobol"] });
  const c = await api<{ lessons: Array<{ id: string; text: string }> }>("POST", `${P(product)}/claim`, {
    token: f.token,
    json: {},
  });
  expect(c.status).toBe(200);
  return c.body.lessons;
}

describe("lessons mirror under a storm of automatic lessons", () => {
  it("keeps an older automatic lesson of its own scope when newer ones all share another scope", async () => {
    const product = "lesson-storm-scope";
    // A cobol job's dead letter, recorded before the storm: the one automatic lesson of its scope.
    await storm(product, Date.now() - 3_600_000, 1, () => ({
      id: "les_cobol",
      subject: "job:cobol",
      capabilities: ["lang:cobol"],
    }));
    await storm(product, Date.now() - 60_000, LESSON_LIMITS.mirrorKept, () => ({ capabilities: ["lang:go"] }));
    const lessons = await cobolClaimLessons(product);
    expect(lessons.map((l) => l.id)).toEqual(["les_cobol"]);
  });

  it("keeps an operator's lesson when each newer automatic lesson has a scope of its own", async () => {
    const product = "lesson-storm-keys";
    const cobol = await api<Lesson>("POST", `${P(product)}/lessons`, {
      token: ADMIN,
      json: { text: "cobol: the copybooks live in /shared", capabilities: ["lang:cobol"] },
    });
    expect(cobol.status).toBe(201);
    await storm(product, cobol.body.updatedAt, LESSON_LIMITS.mirrorKept, (i) => ({ serialKey: `deploy-${i}` }));
    expect(await cobolClaimLessons(product)).toEqual([{ id: cobol.body.id, text: cobol.body.text }]);
  });

  it("keeps an automatic lesson an operator reworded as it keeps the operator's own lessons", async () => {
    const product = "lesson-storm-edited";
    await storm(product, Date.now() - 3_600_000, 1, () => ({
      id: "les_cobol",
      subject: "job:cobol",
      capabilities: ["lang:cobol"],
    }));
    const edited = await api<Lesson>("PATCH", `${P(product)}/lessons/les_cobol`, {
      token: ADMIN,
      json: { text: "cobol: rebuild the copybooks before the nightly" },
    });
    expect(edited.status).toBe(200);
    await storm(product, edited.body.updatedAt, LESSON_LIMITS.mirrorKept, (i) => ({ serialKey: `deploy-${i}` }));
    expect(await cobolClaimLessons(product)).toEqual([{ id: "les_cobol", text: edited.body.text }]);
  });

  it("keeps a lesson behind copies of one sentence in its scope: an assignment carries that sentence once", async () => {
    const product = "lesson-storm-copies";
    const cobol = await api<Lesson>("POST", `${P(product)}/lessons`, {
      token: ADMIN,
      json: { text: "cobol: the copybooks live in /shared", capabilities: ["lang:cobol"] },
    });
    expect(cobol.status).toBe(201);
    await storm(product, cobol.body.updatedAt, LESSON_LIMITS.mirrorKept, (i) => ({ serialKey: `deploy-${i}` }));
    // Newer still: one sentence eight times in its scope (cobol jobs titled alike, stopped by one budget run-out).
    const copies = LESSON_LIMITS.perAssignment;
    const text = '"cobol nightly" was stopped because the product budget ran out; it resumes from its checkpoint.';
    await storm(product, cobol.body.updatedAt + 10_000, copies, (i) => ({
      id: `les_copy${i}`,
      subject: `job:copy${i}`,
      capabilities: ["lang:cobol"],
      text,
    }));
    expect(await cobolClaimLessons(product)).toEqual([
      { id: `les_copy${copies - 1}`, text },
      { id: cobol.body.id, text: cobol.body.text },
    ]);
  });
});
