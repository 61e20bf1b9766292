// Reads and queue walks are bounded whatever the queue holds: job lists, stats, claims and dispatch passes. Job lists
// stop at a byte budget, stats count from a stage-led index without reading a job, and a claim or dispatch pass
// examines at most MAX_SCAN due jobs.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { STAGES } from "../../src/core/model.ts";
import { MAX_SCAN } from "../../src/durable-objects/coordinator/dispatch/urgency-order.ts";
import { MAX_FULL_PAGE_BYTES } from "../../src/durable-objects/coordinator/jobs/list.ts";
import { STAGE_COUNT_SQL } from "../../src/durable-objects/coordinator/policies/metrics.ts";
import { RECORDS_OF_KEY_SQL } from "../../src/durable-objects/coordinator/policies/track-records.ts";
import type { StatsSnapshot } from "../../src/shared/api-metrics.ts";
import { ADMIN, api, claim, enroll, P, rawApi, submit, until } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";
import { cloneQueued, queryPlan } from "./state";

// Job lists are bounded per request: `GET …/jobs` answers summaries without `bodyMd` unless `?fields=full`, whose pages stop at a byte budget; one job's GET keeps its body.

interface Page {
  jobs: Array<{ id: string; title: string; bodyMd?: string }>;
  nextCursor?: string;
}

/** 250 KB: close to the 256 KiB manifest cap, the body a list must not carry 500 times. */
const BIG = "x".repeat(250_000);

describe("job list", () => {
  it("GET …/jobs?limit=500 has no bodyMd by default or with fields=summary; fields=full and the single GET have it", async () => {
    const product = "list-summary";
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await submit(product, { title: `big ${i}` }, `${BIG}${i}`)).id);
    for (const q of ["limit=500", "limit=500&fields=summary"]) {
      const r = await api<Page>("GET", `${P(product)}/jobs?${q}`, { token: ADMIN });
      expect(r.status).toBe(200);
      expect(r.body.jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
      for (const j of r.body.jobs) expect(j).not.toHaveProperty("bodyMd");
      expect(JSON.stringify(r.body).length).toBeLessThan(10_000);
    }
    const full = await api<Page>("GET", `${P(product)}/jobs?limit=500&fields=full`, { token: ADMIN });
    expect(full.body.jobs.map((j) => j.bodyMd?.length)).toEqual([250_001, 250_001, 250_001]);
    const one = await api<Page["jobs"][number]>("GET", `${P(product)}/jobs/${ids[0]}`, { token: ADMIN });
    expect(one.body.bodyMd).toBe(`${BIG}0`);
    expect((await api("GET", `${P(product)}/jobs?fields=bodies`, { token: ADMIN })).status).toBe(400);
  });

  it("fields=full pages stop at MAX_FULL_PAGE_BYTES and the cursor continues them: every job once", async () => {
    const product = "list-full-bytes";
    const count = Math.ceil(MAX_FULL_PAGE_BYTES / BIG.length) + 4;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await submit(product, { title: `big ${i}` }, BIG)).id);
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const q = `limit=500&fields=full${cursor ? `&cursor=${cursor}` : ""}`;
      const r = await api<Page>("GET", `${P(product)}/jobs?${q}`, { token: ADMIN });
      expect(r.status).toBe(200);
      sizes.push(r.body.jobs.length);
      seen.push(...r.body.jobs.map((j) => j.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(sizes.length).toBeGreaterThan(1);
    expect(sizes[0]! * BIG.length).toBeLessThanOrEqual(MAX_FULL_PAGE_BYTES);
    expect(seen).toEqual([...ids].reverse());
  });
});

// GET …/stats end to end in workerd: counts by stage (every stage present, 0 when none), their total and the queue
// version agree with what was submitted and claimed; the count comes from a stage-led index (EXPLAIN QUERY PLAN of
// the very query shows a covering scan of jobs_by_stage or jobs_by_stage_created, so no job document is read); a
// viewer may read it, no token is a 401.

const stats = (product: string, token = ADMIN) => api<StatsSnapshot>("GET", `${P(product)}/stats`, { token });

describe("GET …/stats", () => {
  it("counts jobs by stage with the total and the queue version", async () => {
    const product = "stats-counts";
    const empty = await stats(product);
    expect(empty.status).toBe(200);
    expect(Object.keys(empty.body.counts).sort()).toEqual([...STAGES].sort());
    expect(empty.body.total).toBe(0);
    const f = await enroll(product, "f", [], 1);
    for (let i = 0; i < 3; i++) await submit(product, { title: `job ${i}` });
    expect((await claim(product, f.token)).status).toBe(200);
    const r = await stats(product);
    expect(r.body.counts).toMatchObject({ queued: 2, assigned: 1, building: 0, shipped: 0 });
    expect(r.body.total).toBe(3);
    const version = (await api<{ version: number }>("GET", `${P(product)}/queue-state`, { token: ADMIN })).body;
    expect(r.body.queueVersion).toBe(version.version);
    expect(r.body.generated_at).toBeGreaterThan(0);
  });

  it("reads the stage index, not the job documents", async () => {
    const product = "stats-plan";
    await submit(product, { title: "x" });
    const plan = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      queryPlan(state.storage.sql, STAGE_COUNT_SQL),
    );
    // It and the bucket index lead with `stage`; SQLite takes the narrower one. A plain `SCAN jobs` would read every document.
    expect(plan).toMatch(/^SCAN jobs USING COVERING INDEX jobs_by_stage_created$/m);
    expect(plan).not.toMatch(/TEMP B-TREE/); // grouped in index order, no sort
  });

  it("is readable by a viewer, not without a token", async () => {
    const product = "stats-roles";
    const minted = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "script" },
    });
    expect((await stats(product, minted.body.token)).status).toBe(200);
    expect((await rawApi("GET", `${P(product)}/stats`)).status).toBe(401);
  });
});

// Every path that walks the queue examines a bounded number of due jobs among those it could run: an HTTP claim
// behind MAX_SCAN jobs of its own capability bucket that another hard filter refuses (here an exclusion of the
// claimant from each) stops there, as push dispatch does. Jobs behind a closed serial gate (frozen, or held by a
// running job) are not among them: the walk's query skips them (dispatch/urgency-order CURSOR_OPEN_GATES_SQL), so
// a fitting job behind a thousand of them is reached by a claim and by push dispatch alike — it waited for good
// (found by a reviewer). Jobs of buckets the claimant cannot run are not walked at all (queue-buckets.test.ts).
// The learned term's reference set reads one (engine, class) of track records by its index (track_records_by_key).

/** `count` due jobs the claimant's capabilities fit, older than what follows, each refused to it by an exclusion. */
async function excluded(product: string, factoryId: string, count: number): Promise<void> {
  const seed = await submit(product, { title: "excluded", requires: ["os:linux"] });
  await cloneQueued(product, seed.id, count);
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(
      `INSERT INTO exclusions(job_id, factory_id, strikes, kind, at, until)
       SELECT id, ?1, 1, 'rejected', ?2, ?2 + 3600000 FROM jobs WHERE stage = 'queued'`,
      factoryId,
      Date.now(),
    );
  });
}

/** `count` due jobs the claimant's capabilities fit, older than what follows, behind a frozen serial gate. */
async function frozen(product: string, count: number): Promise<void> {
  const seed = await submit(product, { title: "gated", requires: ["os:linux"], serialKey: "deploy:prod" });
  const freeze = await api("POST", `${P(product)}/serial/deploy%3Aprod/freeze`, {
    token: ADMIN,
    json: { reason: "scan bound" },
  });
  expect(freeze.status).toBe(200);
  await cloneQueued(product, seed.id, count);
}

describe("scan bound", () => {
  it("HTTP claim examines at most MAX_SCAN due jobs of its buckets: a fitting job behind MAX_SCAN refused ones is not reached", async () => {
    const product = "scan-claim";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    await excluded(product, f.factoryId, MAX_SCAN);
    await submit(product, { title: "cpu job", requires: ["os:linux"] });
    // Without the bound, this claim would load and score all MAX_SCAN + 1 jobs and take the last one.
    expect((await claim(product, f.token)).status).toBe(204);
  });

  it("HTTP claim still finds a fitting job inside the bound", async () => {
    const product = "scan-claim-within";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    await excluded(product, f.factoryId, MAX_SCAN - 1);
    await submit(product, { title: "cpu job", requires: ["os:linux"] });
    const r = await claim(product, f.token);
    expect(r.status).toBe(200);
    expect(r.body.job).toMatchObject({ title: "cpu job" });
  });
});

describe("jobs behind a closed serial gate", () => {
  it("are skipped, not scanned: an HTTP claim reaches the fitting job behind 2 × MAX_SCAN of them", async () => {
    const product = "scan-frozen-claim";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    await frozen(product, 2 * MAX_SCAN);
    const job = await submit(product, { title: "cpu job", requires: ["os:linux"] });
    const r = await claim(product, f.token);
    expect(r.status).toBe(200);
    expect(r.body.job.id).toBe(job.id);
  });

  it("push dispatch assigns the fitting job behind them too", async () => {
    const product = "scan-frozen-push";
    await frozen(product, MAX_SCAN);
    const f = await enroll(product, "box", ["os:linux"], 2);
    const { socket } = await connectFactory(product, f.token, { capabilities: ["os:linux"] });
    const job = await submit(product, { title: "free job", requires: ["os:linux"] });
    const assign = await socket.next<AssignFrame>("assign");
    expect(assign.assignments.map((a) => a.job.id)).toEqual([job.id]);
    const reason = await until(
      () => api<{ waitingReason: { code: string } }>("GET", `${P(product)}/jobs/job_clone_00001`, { token: ADMIN }),
      (r) => r.body.waitingReason !== undefined,
    );
    expect(reason.body.waitingReason.code).toBe("serial_key_frozen");
    socket.close();
  });
});

// Jobs an open circuit breaker refuses on every factory the walk is for (the factory's own breaker for their engine,
// or any of that engine's under `overflow: hold`) are skipped by the walk's query too: a thousand older jobs of a
// broken engine filled every pass's scan, and a job of another engine that the free factory could run waited for the
// breaker (hours, with its cool-down doubling) while its waiting reason said "dispatching".

/** A breaker of `factoryId` for `engine`, open for an hour (as five failed runs and a few failed trials leave it). */
async function openBreaker(product: string, factoryId: string, engine: string): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(
      `INSERT INTO breakers(factory_id, engine, consecutive_failures, open_until, cool_down_s, trial_out)
       VALUES (?, ?, 5, ?, 3600, 0)`,
      factoryId,
      engine,
      Date.now() + 3_600_000,
    );
  });
}

/** `count` queued jobs of engine `engine`, older than what follows. */
async function brokenEngineJobs(product: string, engine: string, count: number): Promise<void> {
  const seed = await submit(product, { title: "broken engine", engine });
  await cloneQueued(product, seed.id, count);
}

const ENGINES = ["engine:claude", "engine:codex"];

describe("jobs behind an open breaker", () => {
  it("are skipped, not scanned: an HTTP claim reaches the job of a working engine behind MAX_SCAN of them", async () => {
    const product = "scan-breaker-claim";
    const f = await enroll(product, "two-engines", ENGINES);
    await brokenEngineJobs(product, "claude", MAX_SCAN);
    await openBreaker(product, f.factoryId, "claude");
    const job = await submit(product, { title: "codex job", engine: "codex" });
    const r = await claim(product, f.token);
    expect(r.status).toBe(200);
    expect(r.body.job.id).toBe(job.id);
  });

  it("push dispatch assigns it too, and under overflow: hold a breaker on another factory skips them as well", async () => {
    const product = "scan-breaker-hold";
    const hold = await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { overflow: "hold" } });
    expect(hold.status).toBe(200);
    const broken = await enroll(product, "broken", ENGINES);
    // Up (it beats): a down factory's breaker holds nothing (core/route-filter), as it could run no trial.
    const beat = await api("POST", `${P(product)}/factories/heartbeat`, { token: broken.token, json: {} });
    expect(beat.status).toBe(200);
    const f = await enroll(product, "box", ENGINES, 2);
    await brokenEngineJobs(product, "claude", MAX_SCAN);
    await openBreaker(product, broken.factoryId, "claude");
    const { socket } = await connectFactory(product, f.token, { capabilities: ENGINES, seats: 2 });
    const job = await submit(product, { title: "codex job", engine: "codex" });
    const assign = await socket.next<AssignFrame>("assign");
    expect(assign.assignments.map((a) => a.job.id)).toEqual([job.id]);
    const held = await api<{ waitingReason: { code: string } }>("GET", `${P(product)}/jobs/job_clone_00001`, {
      token: ADMIN,
    });
    expect(held.body.waitingReason.code).toBe("breaker_open");
    socket.close();
  });
});

describe("the learned term's reference set", () => {
  it("reads one (engine, class) by its index, not a scan of every track record", async () => {
    const product = "track-plan";
    await submit(product, { title: "binds the coordinator" });
    const plan = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      queryPlan(state.storage.sql, RECORDS_OF_KEY_SQL, "codex", "rust"),
    );
    expect(plan).toMatch(/SEARCH track_records USING INDEX track_records_by_key \(engine=\? AND job_class=\?\)/);
  });
});
