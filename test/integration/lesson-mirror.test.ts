// The coordinator's lessons mirror keeps live lessons over archived ones (workerd): an operator's lesson scoped to a
// capability, then more than the mirror keeps of other lessons, each archived (so each is newer than it); a claim of
// a job of that capability still carries the live lesson — archived lessons, which no assignment carries, are the
// ones pruned from the mirror first.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LESSON_LIMITS, type Lesson } from "../../src/core/lessons.ts";
import { ADMIN, api, enroll, P, submit } from "./client.ts";

describe("lessons mirror", () => {
  it("archiving many newer lessons does not push a live one out of assignments", async () => {
    const product = "lesson-mirror";
    const live = await api<Lesson>("POST", `${P(product)}/lessons`, {
      token: ADMIN,
      json: { text: "cobol: run make cobol-check before pushing", capabilities: ["lang:cobol"] },
    });
    expect(live.status).toBe(201);
    // As many archived lessons as the mirror keeps, all newer than it (written as the coordinator stores them: the
    // API would take minutes for 500 adds and archives), then one more added and archived through the API.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      for (let i = 0; i < LESSON_LIMITS.mirrorKept; i++) {
        const at = live.body.updatedAt + 1 + i;
        const doc: Lesson = { ...live.body, id: `les_old${i}`, text: `obsolete ${i}`, capabilities: ["lang:go"] };
        state.storage.sql.exec(
          "INSERT INTO lessons(id, source, trigger, subject, updated_at, archived, doc) VALUES (?, 'operator', NULL, NULL, ?, 1, ?)",
          doc.id,
          at,
          JSON.stringify({ ...doc, createdAt: at, updatedAt: at, archived: true }),
        );
      }
    });
    const made = await api<Lesson>("POST", `${P(product)}/lessons`, {
      token: ADMIN,
      json: { text: "obsolete too", capabilities: ["lang:go"] },
    });
    const archived = await api("PATCH", `${P(product)}/lessons/${made.body.id}`, {
      token: ADMIN,
      json: { archived: true },
    });
    expect([made.status, archived.status]).toEqual([201, 200]);
    const f = await enroll(product, "host", ["lang:cobol"]);
    await submit(product, { title: "cobol job", requires: ["lang:cobol"] });
    const c = await api<{ lessons: Array<{ id: string; text: string }> }>("POST", `${P(product)}/claim`, {
      token: f.token,
      json: {},
    });
    expect(c.status).toBe(200);
    expect(c.body.lessons).toEqual([{ id: live.body.id, text: live.body.text }]);
  });
});
