// The lessons journal end to end in workerd (issue 9 item 7): a dead-lettered job records an automatic lesson (after a
// reported failure, and as well after its last lease expired or a rate limit counted against its last attempt), the
// same one again within the 24 h window only refreshes it (count 2) and after the window makes a new one; a reject
// records one naming the stage it was rejected in (review, testing); operators add, edit and archive lessons
// (audited), viewers only read; bad bodies are 400 problem+json and an unknown id 404; D1 rows equal the coordinator's
// mirror; an `assign` frame over a real WebSocket and an HTTP claim carry the relevant lessons (capability, engine,
// serial key, product-wide) and not the others, newest first and bounded (≤ 8, ≤ 4 KiB of text).
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Lesson } from "../../src/core/lessons.ts";
import { REFUNDED_RATE_LIMITS } from "../../src/core/rate-limit.ts";
import { ADMIN, api, claim, enroll, getJob, mintToken, P, submit, until } from "./client.ts";
import { failOnce, lessonMirror, listLessonsUntil, requeueJob } from "./lesson-support.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";
import { expireLeaseNow } from "./state.ts";

type Page = { items: Lesson[]; nextCursor?: string };

const mint = async (product: string, role: "viewer" | "operator", name?: string) =>
  (await mintToken(product, role, name)).token;

const list = (product: string, query = "", token = ADMIN) =>
  api<Page>("GET", `${P(product)}/lessons${query}`, { token });
const add = (product: string, json: unknown, token = ADMIN) =>
  api<Lesson & { code?: string }>("POST", `${P(product)}/lessons`, { token, json });
const edit = (product: string, id: string, json: unknown, token = ADMIN) =>
  api<Lesson & { code?: string }>("PATCH", `${P(product)}/lessons/${id}`, { token, json });

const listUntil = listLessonsUntil;
const requeue = requeueJob;
const mirror = lessonMirror;

describe("automatic lessons", () => {
  it("a dead letter records one; again within the window → the same lesson (count 2); after it → a new one", async () => {
    const product = "lessons-dead-letter";
    const f = await enroll(product, "f", ["lang:ts"]);
    const job = await submit(product, { title: "hopeless", maxAttempts: 1, requires: ["lang:ts"] });
    await failOnce(product, f.token, job.id);
    const first = await listUntil(product, "?source=auto", (p) => p.items.length === 1);
    expect(first.items[0]).toMatchObject({
      source: "auto",
      trigger: "retry_exhausted",
      subject: `job:${job.id}`,
      capabilities: ["lang:ts"],
      count: 1,
      createdBy: "system",
    });
    expect(first.items[0]?.text).toContain("hopeless");

    expect((await requeue(product, job.id)).status).toBe(200);
    await failOnce(product, f.token, job.id);
    const again = await listUntil(product, "?source=auto", (p) => p.items[0]?.count === 2);
    expect(again.items).toHaveLength(1);
    expect(again.items[0]?.id).toBe(first.items[0]?.id);

    // D1 (the store of record) holds exactly what the coordinator's mirror holds.
    const [mine] = await mirror(product);
    const rows = await env.DB.prepare("SELECT * FROM lessons WHERE product_id = ?").bind(product).all();
    expect(rows.results).toEqual([
      expect.objectContaining({
        id: mine?.id,
        text: mine?.text,
        count: 2,
        updated_at: mine?.updatedAt,
        created_at: mine?.createdAt,
        capabilities: JSON.stringify(mine?.capabilities),
        archived: 0,
      }),
    ]);

    // Time as a parameter: the lesson was last seen 25 h ago, outside the 24 h window.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const at = Date.now() - 25 * 3_600_000;
      state.storage.sql.exec("UPDATE lessons SET updated_at = ?1, doc = json_set(doc, '$.updatedAt', ?1)", at);
    });
    expect((await requeue(product, job.id)).status).toBe(200);
    await failOnce(product, f.token, job.id);
    const later = await listUntil(product, "?source=auto", (p) => p.items.length === 2);
    expect(later.items[0]).toMatchObject({ count: 1, subject: `job:${job.id}` });
  });

  it("a review reject records one, with the reviewer's comment", async () => {
    const product = "lessons-review-reject";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "reviewed", reviewers: 1, serialKey: "repo:r" });
    const c = await claim(product, f.token);
    const epoch = c.body.lease.leaseEpoch;
    for (const stage of ["building", "review"]) {
      await api("PATCH", `${P(product)}/jobs/${job.id}`, { token: f.token, json: { leaseEpoch: epoch, stage } });
    }
    const r = await api("POST", `${P(product)}/jobs/${job.id}/reviews`, {
      token: await mint(product, "operator", "carol"),
      json: { verdict: "reject", comment: "use the new API" },
    });
    expect(r.status).toBe(201);
    const page = await listUntil(product, "", (p) => p.items.length === 1);
    expect(page.items[0]).toMatchObject({ trigger: "review_rejected", subject: `job:${job.id}`, serialKey: "repo:r" });
    expect(page.items[0]?.text).toBe('"reviewed" was rejected in review by carol: use the new API');
  });

  it("a job dead-lettered by its lease's expiry, or by a rate limit counted against it, records one too", async () => {
    const product = "lessons-dead-letter-other-ways";
    const f = await enroll(product, "f", ["lang:ts"]);
    // Its host crashes on every run: the last lease expires (the alarm's expiry, as the cron reaper's would).
    const crashed = await submit(product, { title: "kills its host", maxAttempts: 1, requires: ["lang:ts"] });
    expect((await claim(product, f.token)).status).toBe(200);
    await expireLeaseNow(product, crashed.id);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    expect((await getJob(product, crashed.id)).stage).toBe("dead_letter");
    // Rate limited past its refunds (their earlier runs set in storage): the last counted one dead-letters it.
    const limited = await submit(product, { title: "always throttled", maxAttempts: 1, requires: ["lang:ts"] });
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      for (let k = 1; k <= REFUNDED_RATE_LIMITS; k++) {
        state.storage.sql.exec(
          "INSERT INTO runs(job_id, attempt, factory_id, lease_epoch, started_at, ended_at, outcome, doc) VALUES (?, 1, ?, ?, 0, 0, 'rate_limited', '{}')",
          limited.id,
          f.factoryId,
          -k,
        );
      }
    });
    const c = await claim(product, f.token);
    expect(c.body.job.id).toBe(limited.id);
    const r = await api<{ stage: string }>("PATCH", `${P(product)}/jobs/${limited.id}`, {
      token: f.token,
      json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "failed", result: { outcome: "rate_limited" } },
    });
    expect(r.body.stage).toBe("dead_letter");
    const exhausted = (p: Page) => p.items.filter((l) => l.trigger === "retry_exhausted"); // the rate limit trips a breaker too
    const page = await listUntil(product, "?source=auto", (p) => exhausted(p).length === 2);
    const bySubject = new Map(exhausted(page).map((l) => [l.subject, l]));
    expect(bySubject.get(`job:${crashed.id}`)).toMatchObject({ trigger: "retry_exhausted", capabilities: ["lang:ts"] });
    expect(bySubject.get(`job:${crashed.id}`)?.text).toContain("lease expired on attempt 1 of 1");
    expect(bySubject.get(`job:${limited.id}`)).toMatchObject({ trigger: "retry_exhausted", capabilities: ["lang:ts"] });
    expect(bySubject.get(`job:${limited.id}`)?.text).toContain("always throttled");
  });

  it("a reject in testing records one that says testing, not 'a review' (R2 L8)", async () => {
    const product = "lessons-testing-reject";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "tested" });
    const epoch = (await claim(product, f.token)).body.lease.leaseEpoch;
    for (const stage of ["building", "testing"]) {
      await api("PATCH", `${P(product)}/jobs/${job.id}`, { token: f.token, json: { leaseEpoch: epoch, stage } });
    }
    const r = await api<{ stage: string }>("POST", `${P(product)}/jobs/${job.id}/actions/reject`, {
      token: await mint(product, "operator", "dave"),
      json: { note: "flaky on arm64" },
    });
    expect(r.body.stage).toBe("failed");
    const page = await listUntil(product, "", (p) => p.items.length === 1);
    expect(page.items[0]?.text).toBe('"tested" was rejected in testing by dave: flaky on arm64');
  });
});

describe("operator lessons", () => {
  it("add, edit, archive — audited; a viewer reads but cannot write", async () => {
    const product = "lessons-operator";
    const viewer = await mint(product, "viewer");
    const refused = await add(product, { text: "nope" }, viewer);
    expect(refused.status).toBe(403);

    const a = await add(product, { text: "  Run npm ci first  ", capabilities: ["lang:ts"], engine: "claude" });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ text: "Run npm ci first", source: "operator", engine: "claude", count: 1 });
    const id = a.body.id;
    const e = await edit(product, id, { text: "Run npm ci, then the tests", engine: null, serialKey: "repo:a" });
    expect(e.status).toBe(200);
    expect(e.body).toMatchObject({ text: "Run npm ci, then the tests", serialKey: "repo:a" });
    expect(e.body.engine).toBeUndefined();
    expect((await edit(product, id, { archived: true }, viewer)).status).toBe(403);
    expect((await edit(product, id, { archived: true })).body).toMatchObject({ archived: true });

    const shown = await listUntil(product, "?archived=only", (p) => p.items.length === 1);
    expect(shown.items[0]).toMatchObject({ id, text: "Run npm ci, then the tests", archived: true });
    expect((await list(product, "", viewer)).body.items).toEqual([]); // archived lessons are hidden by default

    const audit = await until(
      () =>
        api<{ items: Array<{ action: string; target: string }> }>("GET", `${P(product)}/history?kind=audit`, {
          token: ADMIN,
        }),
      (r) =>
        ["lesson.create", "lesson.update", "lesson.archive"].every((x) => r.body.items?.some((i) => i.action === x)),
    );
    for (const x of ["lesson.create", "lesson.update", "lesson.archive"]) {
      expect(audit.body.items.find((i) => i.action === x)?.target).toBe(id);
    }
  });

  it("filters by source and text and pages newest first", async () => {
    const product = "lessons-paging";
    for (const text of ["alpha one", "beta two", "alpha three"])
      expect((await add(product, { text })).status).toBe(201);
    const q = await listUntil(product, "?q=ALPHA", (p) => p.items.length === 2);
    expect(q.items.map((l) => l.text)).toEqual(["alpha three", "alpha one"]);
    const first = (await list(product, "?limit=2&source=operator")).body;
    expect(first.items.map((l) => l.text)).toEqual(["alpha three", "beta two"]);
    const second = (await list(product, `?limit=2&cursor=${first.nextCursor}`)).body;
    expect(second.items.map((l) => l.text)).toEqual(["alpha one"]);
    expect(second.nextCursor).toBeUndefined();
  });

  it("refuses bad bodies with 400 problem+json and an unknown id with 404", async () => {
    const product = "lessons-refusals";
    for (const json of [
      {},
      { text: "   " },
      { text: "😀".repeat(257) }, // 1028 bytes of UTF-8
      { text: "x", extra: 1 },
      { text: "x", capabilities: ["bad cap"] },
      { text: "x", engine: "Not An Engine" },
    ]) {
      const r = await add(product, json);
      expect(r.status, JSON.stringify(json)).toBe(400);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body.code).toBe("validation_failed");
    }
    const bad = await api("POST", `${P(product)}/lessons`, {
      token: ADMIN,
      text: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(bad.status).toBe(400);
    expect((await edit(product, "les_0000000000000unknown", {})).status).toBe(400); // names nothing to change
    expect((await edit(product, "not-an-id", { archived: true })).status).toBe(400);
    const missing = await edit(product, "les_0000000000000unknown", { archived: true });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("not_found");
    expect((await list(product, "?source=robot")).status).toBe(400);
    expect((await list(product, "?cursor=nonsense")).status).toBe(400);
  });
});

describe("assignments carry the relevant lessons", () => {
  it("over a real WebSocket: capability, serial key and product-wide ones, not the others, newest first", async () => {
    const product = "lessons-assign";
    const scoped = [
      { text: "everywhere", capabilities: [] },
      { text: "gpu only", capabilities: ["gpu"] },
      { text: "codex only", engine: "codex" },
      { text: "repo x", serialKey: "repo:x" },
      { text: "typescript", capabilities: ["lang:ts"] },
      { text: "repo y", serialKey: "repo:y" },
    ];
    const ids: Record<string, string> = {};
    for (const l of scoped) ids[l.text] = (await add(product, l)).body.id;
    const caps = ["lang:ts", "engine:claude"];
    const f = await enroll(product, "f", caps);
    const { socket } = await connectFactory(product, f.token, { capabilities: caps, engines: ["claude"] });
    await submit(product, { title: "t", requires: ["lang:ts"], serialKey: "repo:x", engine: "claude" });
    const assign = await socket.next<AssignFrame>("assign");
    expect(assign.assignments[0]?.lessons?.map((l) => l.text)).toEqual(["typescript", "repo x", "everywhere"]);
    expect(assign.assignments[0]?.lessons?.[0]?.id).toBe(ids.typescript);
    socket.close();
  });

  it("bounded to 8 lessons and 4 KiB of text, newest first; an HTTP claim carries the same", async () => {
    const product = "lessons-bound";
    for (let i = 0; i < 12; i++) expect((await add(product, { text: `${i} ${"z".repeat(900)}` })).status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await add(product, { text: `short ${i}` })).status).toBe(201);
    const f = await enroll(product, "f");
    await submit(product, { title: "t" });
    const c = await api<{ lessons: Array<{ id: string; text: string }> }>("POST", `${P(product)}/claim`, {
      token: f.token,
      json: {},
    });
    const texts = c.body.lessons.map((l) => l.text);
    // 3 short ones, then the newest long ones while they fit: 4 × ~903 bytes; the 5th would pass 4096.
    expect(texts.slice(0, 3)).toEqual(["short 2", "short 1", "short 0"]);
    expect(texts.slice(3).map((t) => t.split(" ")[0])).toEqual(["11", "10", "9", "8"]);
    expect(new TextEncoder().encode(texts.join("")).length).toBeLessThanOrEqual(4096);
  });
});
