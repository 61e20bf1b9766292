// The cron's retention pass, with its clock set (never slept): expired enrollment codes deleted, old idempotency keys forgotten, feeds of long-terminal jobs purged — and nothing younger touched; the pure rule of whose spend rows go (policies/spend-prune; its pass in spend-prune.test).
import {
  createExecutionContext,
  createScheduledController,
  env,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Stage } from "../../src/core/model.ts";
import { DEFAULT_RETENTION, retentionCutoffs, spendForgotten } from "../../src/core/retention.ts";
import { instantWords } from "../../src/core/waiting-commands.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import worker from "../../src/worker/index.ts";
import { sweepAll } from "../../src/worker/reaper.ts";
import { ADMIN, api, P, submit, until } from "./client";

const DAY = 86_400_000;

/** Makes `product` known to the cron (it sweeps products that wrote history). */
async function known(product: string): Promise<void> {
  await env.DB.prepare("INSERT OR IGNORE INTO products(id, first_seen_at, last_seen_at) VALUES (?, 0, 0)")
    .bind(product)
    .run();
}

async function codeCount(product: string): Promise<number> {
  return runInDurableObject(
    env.COORDINATOR.getByName(product),
    (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM enrollment_codes").one().n,
  );
}

interface FeedPage {
  events: Array<{ seq: number; type: string }>;
  lastSeq: number;
}

/** A job's feed page, once it holds at least `atLeast` events (5 s, else throws). */
async function feedOf(product: string, jobId: string, atLeast = 0): Promise<FeedPage> {
  const read = async () =>
    (await api<FeedPage>("GET", `${P(product)}/jobs/${jobId}/events?after=0&limit=500`, { token: ADMIN })).body;
  return until(read, (page) => page.events.length >= atLeast, {
    ms: 5000,
    what: `${atLeast} feed events of ${product}/${jobId}`,
  });
}

describe("retention policy (pure)", () => {
  it("turns the documented defaults and `now` into cut-offs", () => {
    expect(DEFAULT_RETENTION).toEqual({ terminalFeedDays: 30, idempotencyKeyDays: 7, enrollmentCodeGraceHours: 1 });
    expect(retentionCutoffs(100 * DAY)).toEqual({
      feedsSettledBefore: 70 * DAY,
      keysCreatedBefore: 93 * DAY,
      codesExpiredBefore: 100 * DAY - 3_600_000,
    });
  });

  it("forgets the spend of a job shipped or cancelled before the feed cut-off, never a dead letter's or a live one's", () => {
    const cut = retentionCutoffs(100 * DAY);
    const at = (stage: Stage, updatedAt: number) => spendForgotten({ stage, updatedAt }, cut);
    expect([at("shipped", 70 * DAY - 1), at("cancelled", 70 * DAY - 1)]).toEqual([true, true]);
    expect([at("shipped", 70 * DAY), at("cancelled", 99 * DAY)]).toEqual([false, false]);
    expect([at("dead_letter", DAY), at("failed", DAY), at("building", DAY), at("queued", DAY)]).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});

describe("cron pruning pass", () => {
  it("deletes enrollment codes an hour past their expiry, and keeps live ones", async () => {
    const product = "retention-codes";
    await known(product);
    for (const ttlSeconds of [60, 86_400]) {
      const r = await api("POST", `${P(product)}/factories/enrollment-codes`, { token: ADMIN, json: { ttlSeconds } });
      expect(r.status).toBe(201);
    }
    await sweepAll(env);
    expect(await codeCount(product)).toBe(2);
    await sweepAll(env, Date.now() + 2 * 3_600_000); // the 60 s code expired 2 h ago; the 1-day code is live
    expect(await codeCount(product)).toBe(1);
    await sweepAll(env, Date.now() + 2 * DAY);
    expect(await codeCount(product)).toBe(0);
  });

  it("forgets idempotency keys after 7 days: a resubmission then creates a new job", async () => {
    const product = "retention-keys";
    await known(product);
    const send = () =>
      api<{ id: string }>("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        json: { manifest: { title: "once" } },
        headers: { "idempotency-key": "order-42" },
      });
    const first = await send();
    expect(first.status).toBe(201);
    await sweepAll(env, Date.now() + 6 * DAY);
    expect(await send()).toMatchObject({ status: 200, body: { id: first.body.id } });
    await sweepAll(env, Date.now() + 8 * DAY);
    const again = await send();
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.body.id);
  });

  it("purges the feed (events, artifacts, R2 bytes) of a job terminal for 30 days, once; seq continues after it", async () => {
    const product = "retention-feeds";
    await known(product);
    const done = await submit(product, { title: "cancelled long ago" });
    const open = await submit(product, { title: "still queued" });
    const up = await api("POST", `${P(product)}/jobs/${done.id}/artifacts?name=log.txt`, {
      token: ADMIN,
      text: "bytes",
    });
    expect(up.status).toBe(201);
    const cancel = await api("POST", `${P(product)}/jobs/${done.id}/actions/cancel`, { token: ADMIN, json: {} });
    expect(cancel.status).toBe(200);
    const before = await feedOf(product, done.id, 4); // submitted, artifact.added, job.action, job.stage
    const openBefore = await feedOf(product, open.id, 1);
    // Artifact keys carry the uploader's epoch and a unique id (stale writers never overwrite): ask the pointer.
    const pointer = await env.JOB_FEED.getByName(feedName(product, done.id)).getArtifact("log.txt");
    const r2Key = pointer?.r2Key ?? "missing pointer";
    expect(await env.ARTIFACTS.head(r2Key)).not.toBeNull();

    await sweepAll(env, Date.now() + 29 * DAY);
    expect((await feedOf(product, done.id)).events).toHaveLength(before.events.length);

    await sweepAll(env, Date.now() + 31 * DAY);
    expect(await feedOf(product, done.id)).toEqual({ events: [], lastSeq: before.lastSeq });
    expect((await api("GET", `${P(product)}/jobs/${done.id}/artifacts`, { token: ADMIN })).body).toMatchObject({
      artifacts: [],
    });
    expect(await env.ARTIFACTS.head(r2Key)).toBeNull();
    expect(await feedOf(product, open.id)).toEqual(openBefore);
    // The job itself (and D1 history) stays.
    expect((await api("GET", `${P(product)}/jobs/${done.id}`, { token: ADMIN })).body).toMatchObject({
      stage: "cancelled",
    });

    // Idempotent: the watermark is past it, a second pass purges nothing.
    const again = await env.COORDINATOR.getByName(product).prune(product, Date.now() + 31 * DAY);
    expect(again).toMatchObject({ ok: true, value: { feeds: 0 } });
    // Seq stays monotonic should the feed ever get another event.
    const feed = env.JOB_FEED.getByName(`${product}:${done.id}`);
    expect(await feed.append(product, done.id, [{ type: "log", at: 1, data: {} }])).toBe(before.lastSeq + 1);
  });

  // An artifact added to a terminal job after retention purged its feed was never purged: retention walks terminal
  // jobs once, past a watermark, and a pointer does not change the job. (Found by a reviewer: an operator's upload
  // after the purge answered 201, and its bytes stayed in R2 for good.) Now the feed refuses it, 410 feed_purged —
  // at the early check, and at the commit for an upload that began before the purge — and the bytes go.
  it("refuses an artifact for a job whose feed it purged (410 feed_purged, no bytes kept); a job revived since takes them", async () => {
    const product = "retention-late-artifact";
    await known(product);
    const job = await submit(product, { title: "cancelled, then written to" });
    const cancel = await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} });
    expect(cancel.status).toBe(200);
    await feedOf(product, job.id, 3);
    // An upload already streaming when the purge comes: its intent recorded, its bytes in R2, its commit after.
    const feed = env.JOB_FEED.getByName(feedName(product, job.id));
    const r2Key = `${product}/${job.id}/operator/up_slow/slow.txt`;
    const settledAt = (cancel.body as { updatedAt: number }).updatedAt;
    expect(settledAt).toBeTypeOf("number");
    expect(await feed.intendUpload(product, job.id, { r2Key, name: "slow.txt", size: 4, settledAt })).toEqual({
      ok: true,
      value: null,
    });
    await env.ARTIFACTS.put(r2Key, "slow");

    await sweepAll(env, Date.now() + 31 * DAY);
    expect((await feedOf(product, job.id)).events).toEqual([]);

    const late = await api("POST", `${P(product)}/jobs/${job.id}/artifacts?name=late.txt`, {
      token: ADMIN,
      text: "late",
    });
    expect(late.status).toBe(410);
    expect(late.body).toMatchObject({ code: "feed_purged" });
    // Its end said to the second, as the CLI says instants (core/waiting-commands `instantWords`): no milliseconds.
    expect(String((late.body as { detail?: unknown }).detail)).toContain(`ended on ${instantWords(settledAt)} and`);
    const pointer = {
      jobId: job.id,
      name: "slow.txt",
      r2Key,
      size: 4,
      contentType: "text/plain",
      sha256: "0".repeat(64),
      createdAt: Date.now(),
      uploadedBy: "operator",
    };
    const commit = await env.COORDINATOR.getByName(product).commitArtifact(
      product,
      { kind: "operator" },
      pointer,
      "admin",
    );
    expect(commit).toMatchObject({ ok: false, error: { code: "feed_purged" } });
    await feed.abandonUpload(r2Key); // what the route does with a refused commit
    expect((await env.ARTIFACTS.list({ prefix: `${product}/${job.id}/` })).objects).toEqual([]);
    expect((await api("GET", `${P(product)}/jobs/${job.id}/artifacts`, { token: ADMIN })).body).toEqual({
      artifacts: [],
    });

    // A job revived after its purge (a dead_letter requeued) is written to again, and when it ends again too.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec(
        "UPDATE jobs SET stage = 'dead_letter', doc = json_set(doc, '$.stage', 'dead_letter') WHERE id = ?",
        job.id,
      );
    });
    expect((await api("POST", `${P(product)}/jobs/${job.id}/actions/requeue`, { token: ADMIN, json: {} })).status).toBe(
      200,
    );
    const up = () => api("POST", `${P(product)}/jobs/${job.id}/artifacts?name=again.txt`, { token: ADMIN, text: "x" });
    expect((await up()).status).toBe(201);
    expect((await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} })).status).toBe(
      200,
    );
    expect((await up()).status).toBe(201);
  });
});

// A product whose sweep throws every minute (its outbox, its health pass) was never pruned either: the retention
// pass ran after the sweep in the same try, so its feeds, keys and codes were kept for good.
describe("the cron's retention pass", () => {
  it("prunes a product whose sweep throws", async () => {
    const id = "rl-sweep-throws";
    await known(id);
    const pruned: string[] = [];
    const coordinator = (name: string) => ({
      sweep: async () => {
        throw new Error(`${name}: outbox unreachable`);
      },
      prune: async () => {
        pruned.push(name);
      },
    });
    const fake = { ...env, COORDINATOR: { getByName: coordinator } } as unknown as Env;
    const result = await sweepAll(fake);
    expect(pruned).toContain(id);
    expect(result.failed).toBeGreaterThan(0); // still counted: the sweep did fail
  });

  it("counts a sweep or prune answered with a refusal ({ok: false}) as failed, not swept", async () => {
    const id = "rl-sweep-refused";
    await known(id);
    const refused = { ok: false, error: { code: "not_found", message: "product is not bound" } };
    const coordinator = (name: string) => ({
      sweep: async () => (name === id ? refused : { ok: true, value: {} }),
      prune: async () => ({ ok: true, value: {} }),
    });
    const fake = { ...env, COORDINATOR: { getByName: coordinator } } as unknown as Env;
    const result = await sweepAll(fake);
    expect(result.failed).toBe(1);
  });
});

// The sweep of every product (worker/reaper `sweepAll`) is a pool of lanes: a product whose sweep is slow (a deep
// outbox, a cold coordinator) holds one lane, and every other product is swept meanwhile — in fixed chunks of 8,
// every product after it waited for it, its lapsed leases and retention with it.
describe("the cron sweep", () => {
  it("sweeps every other product while one product's sweep hangs", async () => {
    const ids = ["rl-a-slow", ...Array.from({ length: 24 }, (_, i) => `rl-b-fast-${i}`)];
    for (const id of ids)
      await env.DB.prepare("INSERT OR IGNORE INTO products(id, first_seen_at, last_seen_at) VALUES (?, 0, 0)")
        .bind(id)
        .run();
    let release!: () => void;
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    const swept: string[] = [];
    const pruned: string[] = [];
    const coordinator = (id: string) => ({
      sweep: async () => {
        if (id === "rl-a-slow") await hung;
        swept.push(id);
      },
      prune: async () => {
        pruned.push(id);
      },
    });
    const fake = { ...env, COORDINATOR: { getByName: coordinator } } as unknown as Env;
    const pass = sweepAll(fake);
    try {
      const fast = ids.slice(1);
      const seen = await until(
        async () => fast.filter((id) => swept.includes(id)),
        (s) => s.length === fast.length,
        2_000,
      );
      expect(seen).toEqual(fast);
      expect(swept).not.toContain("rl-a-slow");
    } finally {
      release();
    }
    const result = await pass;
    expect(result.failed).toBe(0);
    expect(pruned).toEqual(expect.arrayContaining(ids));
  });
});

// A product whose sweep or prune never answered (a wedged coordinator, a feed purge waiting on R2) held its lane for
// the whole invocation: as many such products as lanes, met first every minute, and no other product was swept.
describe("the cron sweep's lanes", () => {
  it("sweeps and prunes every other product while as many products hang as there are lanes", async () => {
    const hung = Array.from({ length: 10 }, (_, i) => `a-hung-${i}`);
    const fast = Array.from({ length: 20 }, (_, i) => `b-fast-${i}`);
    for (const id of [...hung, ...fast]) await known(id);
    const never = new Promise<never>(() => {});
    const swept: string[] = [];
    const pruned: string[] = [];
    const coordinator = (id: string) => ({
      sweep: async () => {
        if (hung.includes(id)) await never;
        swept.push(id);
      },
      prune: async () => {
        if (hung.includes(id)) await never;
        pruned.push(id);
      },
    });
    const fake = { ...env, COORDINATOR: { getByName: coordinator } } as unknown as Env;
    const pass = sweepAll(fake, Date.now(), 20); // each pass waits 20 ms at most
    const done = await until(
      async () => fast.filter((id) => swept.includes(id) && pruned.includes(id)),
      (d) => d.length === fast.length,
      { ms: 5_000, what: "every product that answers swept and pruned" },
    );
    expect(done).toEqual(fast);
    const result = await pass;
    expect(result.failed).toBe(hung.length);
    expect([...result.failedIds].sort()).toEqual(hung);
  });
});

// Every failure was caught and counted, the count dropped, and the run reported a success (Cloudflare's past cron
// events) however many products it could not sweep; retention measured from Date.now(), not the trigger's time.
describe("a cron run", () => {
  const run = async (fake: Env, scheduledTime: number) => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime, cron: "* * * * *" }), fake, ctx);
    return waitOnExecutionContext(ctx);
  };

  it("fails, naming the product, when a product's sweep fails; retention measured from the scheduled time", async () => {
    await known("c-broken");
    const prunedAt = new Set<number>();
    const coordinator = (id: string) => ({
      sweep: async () => {
        if (id === "c-broken") throw new Error("outbox unreachable");
        return { ok: true, value: {} };
      },
      prune: async (_p: string, now: number) => {
        prunedAt.add(now);
        return { ok: true, value: {} };
      },
    });
    const fake = { ...env, COORDINATOR: { getByName: coordinator } } as unknown as Env;
    const scheduledTime = Date.UTC(2026, 0, 1);
    await expect(run(fake, scheduledTime)).rejects.toThrow(/products failed \(c-broken\)/);
    expect([...prunedAt]).toEqual([scheduledTime]);
  });

  it("succeeds when every product is swept", async () => {
    const coordinator = () => ({
      sweep: async () => ({ ok: true, value: {} }),
      prune: async () => ({ ok: true, value: {} }),
    });
    const fake = { ...env, COORDINATOR: { getByName: coordinator } } as unknown as Env;
    await expect(run(fake, Date.now())).resolves.toBeUndefined();
  });
});
