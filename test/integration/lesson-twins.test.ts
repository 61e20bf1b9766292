// Jobs of one title failing with one message write one automatic lesson, counted (workerd, real DO storage and D1):
// each job's dead letter had recorded a `retry_exhausted` lesson of its own word for word, so `lessons list` showed
// the sentence once per job and an operator who archived the row they saw left its twins reaching every job of that
// scope. Now the second job's sighting lands on the first job's lesson (core/lessons `repeatTarget`): one row in the
// mirror and in D1, `count: 2`, the first job's subject kept; an archive of it archives the sentence, and a third such
// job counts it, still archived. A job of another scope, or another title, still writes its own.
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P, submit } from "./client.ts";
import { failOnce, lessonMirror, listLessonsUntil } from "./lesson-support.ts";

describe("automatic lessons of the same words and scope", () => {
  it("are one lesson, counted, in the mirror and in D1; archived once for all of them", async () => {
    const product = "lesson-twins";
    // Its breaker and error budget out of the way: five failed runs would trip one, a lesson of its own.
    const settings = { errorBudget: { maxFailures: 100, windowMinutes: 60 }, breaker: { failureThreshold: 100 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const f = await enroll(product, "f", ["lang:ts", "gpu"], 1);
    const nightly = { title: "nightly build", maxAttempts: 1, requires: ["lang:ts"] };
    const first = await submit(product, { ...nightly, idempotencyKey: "n1" });
    await failOnce(product, f.token, first.id);
    const second = await submit(product, { ...nightly, idempotencyKey: "n2" });
    await failOnce(product, f.token, second.id);

    const one = await listLessonsUntil(product, "?source=auto", (p) => p.items[0]?.count === 2);
    expect(one.items).toHaveLength(1);
    expect(one.items[0]).toMatchObject({ subject: `job:${first.id}`, capabilities: ["lang:ts"], count: 2 });
    expect((await lessonMirror(product)).map((l) => [l.id, l.count])).toEqual([[one.items[0]?.id, 2]]);

    // Another scope, or other words: lessons of their own.
    const gpu = await submit(product, { ...nightly, requires: ["gpu"], idempotencyKey: "g1" });
    await failOnce(product, f.token, gpu.id);
    const other = await submit(product, { ...nightly, title: "weekly build", idempotencyKey: "w1" });
    await failOnce(product, f.token, other.id);
    const three = await listLessonsUntil(product, "?source=auto", (p) => p.items.length === 3);
    expect(three.items.map((l) => l.count).sort()).toEqual([1, 1, 2]);

    // Archived once, the sentence is archived: a third such job counts it, and it stays archived.
    const id = one.items[0]?.id;
    const archive = { token: ADMIN, json: { archived: true } };
    expect((await api("PATCH", `${P(product)}/lessons/${id}`, archive)).status).toBe(200);
    const third = await submit(product, { ...nightly, idempotencyKey: "n3" });
    await failOnce(product, f.token, third.id);
    const counted = await listLessonsUntil(product, "?archived=only", (p) => p.items[0]?.count === 3);
    expect(counted.items.map((l) => [l.id, l.archived])).toEqual([[id, true]]);
    const live = await listLessonsUntil(product, "?source=auto", (p) => p.items.length === 2);
    expect(live.items.map((l) => l.subject).sort()).toEqual([`job:${gpu.id}`, `job:${other.id}`].sort());
  });
});
