// An operator's takeover of an automatic lesson (`editedBy`) is kept in D1 too, not only in the coordinator's mirror
// (workerd, real DO storage and D1): the `lesson` record writes D1's `edited_by` (NULL for a record without it, an
// older coordinator's); `GET …/lessons` and the PATCH answer name it. A lesson the mirror no longer has (the mirror keeps
// LESSON_LIMITS.mirrorKept, policies/lesson-rows prunes the rest) is archived and restored from D1's row with its
// marker: back in the mirror still marked, so the job dead-lettering again within the window counts it and keeps
// the operator's words, where it used to come back unmarked and have them overwritten by the coordinator's sentence.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Lesson } from "../../src/core/lessons.ts";
import { writeHistory } from "../../src/history/write.ts";
import { ADMIN, api, enroll, mintToken, P, submit } from "./client.ts";
import { failOnce, lessonMirror, listLessons, listLessonsUntil, requeueJob } from "./lesson-support.ts";

const list = (product: string, query = "") => listLessons(product, query);
const listUntil = listLessonsUntil;
const mirror = lessonMirror;
const requeue = async (product: string, jobId: string) => expect((await requeueJob(product, jobId)).status).toBe(200);

const editedByInD1 = async (id: string) =>
  (await env.DB.prepare("SELECT edited_by FROM lessons WHERE id = ?").bind(id).first<{ edited_by: string | null }>())
    ?.edited_by;

/** A dead-lettered job's automatic lesson, reworded by operator erin; resolves once D1 lists the rewording. */
async function takenOver(product: string, words: string) {
  const f = await enroll(product, "f", ["lang:ts"]);
  const job = await submit(product, { title: "hopeless", maxAttempts: 1, requires: ["lang:ts"] });
  await failOnce(product, f.token, job.id);
  const [auto] = await mirror(product);
  if (!auto) throw new Error("no automatic lesson recorded");
  const operator = (await mintToken(product, "operator", "erin")).token;
  const edit = await api<Lesson & { changed: boolean }>("PATCH", `${P(product)}/lessons/${auto.id}`, {
    token: operator,
    json: { text: words },
  });
  expect(edit.status).toBe(200);
  await listUntil(product, "?source=auto", (p) => p.items[0]?.text === words);
  return { f, job, auto, edit: edit.body };
}

describe("an automatic lesson's operator edit, in D1", () => {
  it("is written to D1 and named by the PATCH answer and the list", async () => {
    const product = "lesson-edited-by-d1";
    const words = "Pin the toolchain: the nightly breaks lang:ts builds";
    const { auto, edit } = await takenOver(product, words);
    expect(edit).toMatchObject({ id: auto.id, text: words, editedBy: "operator:erin", changed: true });
    expect(await editedByInD1(auto.id)).toBe("operator:erin");
    const page = (await list(product, "?source=auto")).body;
    expect(page.items).toEqual([expect.objectContaining({ id: auto.id, text: words, editedBy: "operator:erin" })]);
    // An operator's own lesson and an automatic one nobody reworded carry no marker: the key is absent.
    const own = await api<Lesson>("POST", `${P(product)}/lessons`, { token: ADMIN, json: { text: "run make lint" } });
    expect(own.body).not.toHaveProperty("editedBy");
    const all = await listUntil(product, "", (p) => p.items.some((l) => l.id === own.body.id));
    expect(all.items.find((l) => l.id === own.body.id)).not.toHaveProperty("editedBy");
  });

  it("a record without the marker (an older coordinator's) still writes, as NULL", async () => {
    const product = "lesson-edited-by-old-record";
    const body = {
      id: "les_0000000000000oldrecord",
      text: "written before the marker existed",
      source: "auto",
      trigger: "retry_exhausted",
      subject: "job:j1",
      capabilities: [],
      count: 1,
      createdAt: 1_000,
      updatedAt: 1_000,
      createdBy: "system",
    };
    await writeHistory(env.DB, [{ productId: product, seq: 1, kind: "lesson", body }]);
    expect(await editedByInD1(body.id)).toBeNull();
    const page = (await list(product, "?source=auto")).body;
    expect(page.items).toEqual([expect.objectContaining({ id: body.id, text: body.text })]);
    expect(page.items[0]).not.toHaveProperty("editedBy");
  });

  it("survives the mirror dropping the lesson: archived and restored from D1, its repeat keeps the words", async () => {
    const product = "lesson-edited-by-pruned";
    const words = "Run the lang:ts suite with --runInBand: the workers share one port";
    const { f, job, auto } = await takenOver(product, words);
    // The mirror's prune (policies/lesson-rows PRUNE) drops rows past mirrorKept: this lesson's row goes, D1 keeps it.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec("DELETE FROM lessons WHERE id = ?", auto.id);
    });
    expect(await mirror(product)).toEqual([]);

    const patch = (json: unknown) =>
      api<Lesson & { changed: boolean }>("PATCH", `${P(product)}/lessons/${auto.id}`, { token: ADMIN, json });
    const archived = await patch({ archived: true });
    expect(archived.body).toMatchObject({ archived: true, text: words, editedBy: "operator:erin", changed: true });
    const restored = await patch({ archived: false });
    expect(restored.body).toMatchObject({ text: words, editedBy: "operator:erin", changed: true });
    expect(restored.body.archived).toBeUndefined();

    await requeue(product, job.id);
    await failOnce(product, f.token, job.id);
    const [after, ...others] = await mirror(product);
    expect(others).toEqual([]);
    expect(after).toMatchObject({ id: auto.id, count: 2, text: words, editedBy: "operator:erin" });
    const page = await listUntil(product, "?source=auto", (p) => p.items[0]?.count === 2);
    expect(page.items).toEqual([
      expect.objectContaining({ id: auto.id, count: 2, text: words, editedBy: "operator:erin" }),
    ]);
  });
});
