// An operator's edit of an automatic lesson is not undone by the coordinator (workerd, real DO storage and D1): a
// dead-lettered job records a lesson; an operator rewords it and narrows its scope (audited `lesson.update`); the
// job dead-letters again within the 24 h window — the lesson is counted (count 2, fresh `updatedAt`, the same id)
// but keeps the operator's text and scope, in the mirror (what assignments carry) and in D1; the PATCH answer and D1
// name the operator who took it over (`editedBy`). And an automatic lesson the operator archived stays archived when its trigger and
// subject come back within the window (counted, not a new live lesson); after the window a new one is recorded.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Lesson } from "../../src/core/lessons.ts";
import { ADMIN, api, enroll, mintToken, P, submit } from "./client.ts";
import { failOnce, lessonMirror, listLessons, listLessonsUntil, requeueJob } from "./lesson-support.ts";

const list = (product: string, query = "") => listLessons(product, query);
const listUntil = listLessonsUntil;
const mirror = lessonMirror;
const requeue = async (product: string, jobId: string) => expect((await requeueJob(product, jobId)).status).toBe(200);

describe("an operator's edit of an automatic lesson", () => {
  it("survives the lesson's next repeat within the window: counted, the operator's text and scope kept", async () => {
    const product = "lesson-edit-kept";
    const f = await enroll(product, "f", ["lang:ts", "os:linux"]);
    const job = await submit(product, { title: "hopeless", maxAttempts: 1, requires: ["lang:ts", "os:linux"] });
    await failOnce(product, f.token, job.id);
    const [auto] = await mirror(product);
    expect(auto).toMatchObject({ source: "auto", count: 1, capabilities: ["lang:ts", "os:linux"] });

    const operator = (await mintToken(product, "operator", "erin")).token;
    const words = "Pin the toolchain: the nightly breaks lang:ts builds";
    const edit = await api<Record<string, unknown>>("PATCH", `${P(product)}/lessons/${auto?.id}`, {
      token: operator,
      json: { text: words, capabilities: ["lang:ts"], serialKey: "repo:web" },
    });
    expect(edit.status).toBe(200);
    expect(edit.body).toMatchObject({
      text: words,
      capabilities: ["lang:ts"],
      serialKey: "repo:web",
      editedBy: "operator:erin",
      changed: true,
    });

    await requeue(product, job.id);
    await failOnce(product, f.token, job.id);
    const [after, ...others] = await mirror(product);
    expect(others).toEqual([]);
    expect(after).toMatchObject({
      id: auto?.id,
      count: 2,
      text: words,
      capabilities: ["lang:ts"],
      serialKey: "repo:web",
      editedBy: "operator:erin",
    });
    expect(after?.updatedAt).toBeGreaterThan(edit.body.updatedAt as number);
    // D1, the store of record, ends where the mirror is: the repeat counted, the words the operator's.
    const page = await listUntil(product, "?source=auto", (p) => p.items[0]?.count === 2);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      id: auto?.id,
      text: words,
      capabilities: ["lang:ts"],
      serialKey: "repo:web",
      editedBy: "operator:erin",
    });
  });

  it("an archived one stays archived when it repeats within the window; after the window a new one is recorded", async () => {
    const product = "lesson-archive-kept";
    const f = await enroll(product, "f", ["lang:go"]);
    const job = await submit(product, { title: "flaky", maxAttempts: 1, requires: ["lang:go"] });
    await failOnce(product, f.token, job.id);
    const [auto] = await mirror(product);
    const archived = await api<Lesson>("PATCH", `${P(product)}/lessons/${auto?.id}`, {
      token: ADMIN,
      json: { archived: true },
    });
    expect(archived.body).toMatchObject({ archived: true });

    await requeue(product, job.id);
    await failOnce(product, f.token, job.id);
    const within = await mirror(product);
    // One lesson, still archived, counted: no live copy for the operator to archive again.
    expect(within).toEqual([expect.objectContaining({ id: auto?.id, archived: true, count: 2 })]);
    const page = await listUntil(product, "?archived=include", (p) => p.items[0]?.count === 2);
    expect(page.items).toEqual([expect.objectContaining({ id: auto?.id, archived: true, count: 2 })]);
    expect((await list(product)).body.items).toEqual([]); // the default list: live lessons only

    // Time as a parameter: the archived lesson was last seen 25 h ago, outside the 24 h window.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const at = Date.now() - 25 * 3_600_000;
      state.storage.sql.exec("UPDATE lessons SET updated_at = ?1, doc = json_set(doc, '$.updatedAt', ?1)", at);
    });
    await requeue(product, job.id);
    await failOnce(product, f.token, job.id);
    const [fresh, old] = await mirror(product);
    expect(fresh).toMatchObject({ source: "auto", count: 1, subject: `job:${job.id}` });
    expect(fresh?.archived).toBeUndefined();
    expect(old).toMatchObject({ id: auto?.id, archived: true, count: 2 });
  });
});
