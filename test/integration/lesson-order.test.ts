// A lesson's changes reach D1 in any order and D1 keeps the last (workerd, real DO storage and D1): two edits of one
// lesson in the same millisecond (or with the coordinator's clock behind the lesson's `updatedAt`) each get a later
// `updatedAt` than the one before, so when the history queue delivers the archive after the restore — at least once,
// not in order — D1's upsert (`updatedAt <=` guard) keeps the restore, as the coordinator's mirror does.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Lesson } from "../../src/core/lessons.ts";
import { editLesson } from "../../src/durable-objects/coordinator/policies/lessons.ts";
import { writeHistory } from "../../src/history/write.ts";
import { ADMIN, api, P } from "./client.ts";

describe("lesson order in D1", () => {
  it("an archive and a restore in one millisecond land in D1 as the restore, whichever arrives last", async () => {
    const product = "lesson-order";
    const made = await api<Lesson>("POST", `${P(product)}/lessons`, { token: ADMIN, json: { text: "run make lint" } });
    expect(made.status).toBe(201);
    const [archived, restored] = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      // The coordinator's clock at the lesson's own time: the same millisecond as its creation, and each other.
      const tx = { sql: state.storage.sql, productId: product, now: made.body.updatedAt };
      const a = editLesson(tx, made.body.id, { archived: true }, "op");
      const r = editLesson(tx, made.body.id, { archived: false }, "op");
      return [a, r];
    });
    expect(archived.updatedAt).toBeGreaterThan(made.body.updatedAt);
    expect(restored.updatedAt).toBeGreaterThan(archived.updatedAt);
    // Delivered out of order: the restore first, the archive after it.
    const record = (l: Lesson, seq: number) => {
      const { changed: _changed, ...body } = l as Lesson & { changed?: boolean };
      return { productId: product, seq, kind: "lesson" as const, body: { ...body } };
    };
    await writeHistory(env.DB, [record(restored, 1_000_002)]);
    await writeHistory(env.DB, [record(archived, 1_000_001)]);
    const row = await env.DB.prepare("SELECT archived, updated_at FROM lessons WHERE id = ?")
      .bind(made.body.id)
      .first<{ archived: number; updated_at: number }>();
    expect(row).toEqual({ archived: 0, updated_at: restored.updatedAt });
  });
});
