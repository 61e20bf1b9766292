// The capability-bucketed queue (issue 12 item 4): with 3,000 due jobs that need a capability no factory has queued
// in front, an HTTP claim and a push dispatch pass both take the one runnable job behind them (a walk of the whole
// queue stopped at MAX_SCAN and never reached it), and neither reads a single document of the unrunnable bucket
// (those documents are made unparseable inside the pass's transaction: a read would throw), and a pass reads the
// same number of SQLite rows with 10,000 of them queued as with 100. The walk's queries use
// the bucket index (query plans), a rolled-back write leaves no bucket behind, and a coordinator stored before
// the column existed gains it, keyed, on its next start. A pass says runnable work waits (for the feed budget's
// busy pace) only when it left a job a factory could run for want of a seat, never for unrunnable ones.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { keyOfCapabilities } from "../../src/core/capability-key.ts";
import type { Job } from "../../src/core/model.ts";
import { claimFor } from "../../src/durable-objects/coordinator/dispatch/claim.ts";
import { planAndAssign } from "../../src/durable-objects/coordinator/dispatch/plan.ts";
import {
  CURSOR_OPEN_ENGINES_SQL,
  CURSOR_OPEN_GATES_SQL,
  CURSOR_SQL,
  MAX_SCAN,
} from "../../src/durable-objects/coordinator/dispatch/urgency-order.ts";
import { requireFactory } from "../../src/durable-objects/coordinator/factories/registry.ts";
import { NEXT_BUCKET_SQL, queuedBuckets } from "../../src/durable-objects/coordinator/jobs/buckets.ts";
import { loadJob, saveJob } from "../../src/durable-objects/coordinator/jobs/rows.ts";
import { applySchema } from "../../src/durable-objects/coordinator/runtime/schema.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { withLimit } from "../../src/durable-objects/sql-statements.ts";
import { claim, enroll, getJob, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";
import { countingSql } from "./sql-counting.ts";
import { cloneQueued, queryPlan } from "./state";

/** Three times the scan bound: a walk of the whole queue in urgency order cannot get past them. */
const DEEP = 3 * MAX_SCAN;
const GPU = keyOfCapabilities(["gpu:h100"]);

/** `depth` due jobs requiring `gpu:h100` (which no factory has), then one requiring `os:linux`; returns the latter. */
async function deepQueue(product: string, depth = DEEP): Promise<{ seedId: string; runnableId: string }> {
  const seed = await submit(product, { title: "gpu job", requires: ["gpu:h100"] });
  await cloneQueued(product, seed.id, depth);
  const runnable = await submit(product, { title: "cpu job", requires: ["os:linux"] });
  return { seedId: seed.id, runnableId: runnable.id };
}

const unitsOf = (instance: unknown) => (instance as { units: Units }).units;

/** Thrown to roll a test's transaction back: nothing it did (the unreadable documents, the lease) is kept. */
class RollBack extends Error {}

/** `body` in one transaction in which every job document of the gpu bucket is unparseable, then rolled back. */
function withGpuUnreadable(units: Units, body: (tx: Tx) => void): void {
  expect(() =>
    units.transact((tx) => {
      tx.sql.exec("UPDATE jobs SET doc = 'unreadable' WHERE cap_key = ?", GPU);
      body(tx);
      throw new RollBack();
    }),
  ).toThrow(RollBack);
}

/** `tx` with its SQL handle counting the rows every statement reads (sql-counting). */
function counting(tx: Tx): { tx: Tx; rowsRead: () => number } {
  const { sql, rowsRead } = countingSql(tx.sql);
  return { tx: { ...tx, sql }, rowsRead };
}

describe("the capability-bucketed queue", () => {
  it("an HTTP claim takes the runnable job behind 3,000 jobs no factory can run", async () => {
    const product = "buckets-claim";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    const { runnableId } = await deepQueue(product);
    const r = await claim(product, f.token);
    expect(r.status).toBe(200);
    expect(r.body.job.id).toBe(runnableId);
  });

  it("push dispatch assigns the runnable job behind 3,000 jobs no factory can run", async () => {
    const product = "buckets-push";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    const { runnableId } = await deepQueue(product);
    // Connecting runs a pass: the factory's first assign carries the job.
    const { socket } = await connectFactory(product, f.token, { capabilities: ["os:linux"] });
    const assign = await socket.next<AssignFrame>("assign");
    expect(assign.assignments.map((a) => a.job.id)).toEqual([runnableId]);
    expect((await getJob(product, runnableId)).stage).toBe("assigned");
    socket.close();
  });

  it("neither a claim nor a push pass reads a document of a bucket no free factory can run", async () => {
    const product = "buckets-unread";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    const { seedId, runnableId } = await deepQueue(product);
    await runInDurableObject(env.COORDINATOR.getByName(product), (instance) => {
      const units = unitsOf(instance);
      withGpuUnreadable(units, (tx) => {
        expect(() => loadJob(tx.sql, seedId)).toThrow(SyntaxError); // what any read of that bucket would do
        const factory = requireFactory(tx.sql, f.factoryId, tx.now);
        expect(claimFor(tx, factory)?.job.id).toBe(runnableId);
      });
      withGpuUnreadable(units, (tx) => {
        const plan = planAndAssign(tx, new Map([[f.factoryId, { att: {} }]]));
        expect(plan.assigns.get(f.factoryId)?.map((a) => a.job.id)).toEqual([runnableId]);
      });
    });
  });

  it("a pass says runnable work waits only when it left a job a factory could run for want of a seat", async () => {
    // The outbox opens new feeds slower while runnable work waits (core/feed-budget BUSY_PACE): jobs no factory
    // can run must not count, or a queue of them would slow every feed for good.
    const product = "buckets-waiting";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    const { runnableId } = await deepQueue(product);
    const pass = () =>
      runInDurableObject(env.COORDINATOR.getByName(product), (instance) => {
        let out: { ids: string[]; waiting: boolean } | undefined;
        withGpuUnreadable(unitsOf(instance), (tx) => {
          const plan = planAndAssign(tx, new Map([[f.factoryId, { att: {} }]]));
          out = { ids: plan.assigns.get(f.factoryId)?.map((a) => a.job.id) ?? [], waiting: plan.waiting };
        });
        return out;
      });
    expect(await pass()).toEqual({ ids: [runnableId], waiting: false });
    await submit(product, { title: "cpu job 2", requires: ["os:linux"] });
    expect(await pass()).toEqual({ ids: [runnableId], waiting: true });
  });

  it("a claim and a push pass read as many rows with 10,000 unrunnable jobs queued as with 100", async () => {
    const rowsRead = async (product: string, depth: number) => {
      const f = await enroll(product, "cpu-box", ["os:linux"]);
      const { runnableId } = await deepQueue(product, depth);
      return runInDurableObject(env.COORDINATOR.getByName(product), (instance) => {
        const units = unitsOf(instance);
        const read = { claim: 0, push: 0 };
        withGpuUnreadable(units, (outer) => {
          const { tx, rowsRead } = counting(outer);
          expect(claimFor(tx, requireFactory(tx.sql, f.factoryId, tx.now))?.job.id).toBe(runnableId);
          read.claim = rowsRead();
        });
        withGpuUnreadable(units, (outer) => {
          const { tx, rowsRead } = counting(outer);
          const plan = planAndAssign(tx, new Map([[f.factoryId, { att: {} }]]));
          expect(plan.assigns.get(f.factoryId)?.map((a) => a.job.id)).toEqual([runnableId]);
          read.push = rowsRead();
        });
        return read;
      });
    };
    const shallow = await rowsRead("buckets-rows-100", 100);
    const deep = await rowsRead("buckets-rows-10k", 10_000);
    expect(shallow.claim).toBeGreaterThan(0);
    expect(deep).toEqual(shallow); // not "within 2×": the same rows, whatever the depth
  });

  it("walks the queue along the bucket index: one seek per bucket, covering cursors, no sort", async () => {
    const product = "buckets-plan";
    await deepQueue(product);
    const plans = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      return {
        next: queryPlan(sql, NEXT_BUCKET_SQL, ""),
        cursor: queryPlan(sql, withLimit(CURSOR_SQL, 64), GPU, 2, Date.now(), -1, ""),
        gated: queryPlan(sql, withLimit(CURSOR_OPEN_GATES_SQL, 64), GPU, 2, Date.now(), -1, "", '["deploy:prod"]'),
        held: queryPlan(sql, withLimit(CURSOR_OPEN_ENGINES_SQL, 64), GPU, 2, Date.now(), -1, "", "[]", '["claude"]'),
        buckets: queuedBuckets(sql).map((b) => b.key),
      };
    });
    expect(plans.next).toMatch(/^SEARCH jobs USING COVERING INDEX jobs_by_bucket \(stage=\? AND cap_key>\?\)$/m);
    expect(plans.cursor).toMatch(
      /SEARCH jobs USING COVERING INDEX jobs_by_bucket \(stage=\? AND cap_key=\? AND priority_value=\? AND \(queued_at,id\)>\(\?,\?\)\)/,
    );
    // Skipping closed serial gates keeps the walk on the bucket index (the key is read from the row it finds).
    expect(plans.gated).toMatch(
      /SEARCH jobs USING INDEX jobs_by_bucket \(stage=\? AND cap_key=\? AND priority_value=\? AND \(queued_at,id\)>\(\?,\?\)\)/,
    );
    // So does skipping the engines an open breaker holds (dispatch/urgency-order CURSOR_OPEN_ENGINES_SQL).
    expect(plans.held).toMatch(
      /SEARCH jobs USING INDEX jobs_by_bucket \(stage=\? AND cap_key=\? AND priority_value=\? AND \(queued_at,id\)>\(\?,\?\)\)/,
    );
    for (const p of [plans.next, plans.cursor, plans.gated, plans.held]) expect(p).not.toMatch(/TEMP B-TREE/);
    expect(plans.buckets).toEqual([GPU, keyOfCapabilities(["os:linux"])]);
  });

  it("a rolled-back write leaves no bucket behind", async () => {
    const product = "buckets-rollback";
    const job = await submit(product, { title: "x" });
    await runInDurableObject(env.COORDINATOR.getByName(product), (instance) => {
      const units = unitsOf(instance);
      expect(() =>
        units.transact((tx) => {
          const stored = loadJob(tx.sql, job.id)!;
          saveJob(tx.sql, { ...stored, requires: ["arm64"] } satisfies Job);
          expect(queuedBuckets(tx.sql).map((b) => b.key)).toEqual([keyOfCapabilities(["arm64"])]);
          throw new RollBack();
        }),
      ).toThrow(RollBack);
      expect(queuedBuckets(units.sql).map((b) => b.key)).toEqual(["[]"]);
    });
  });

  it("a coordinator stored before the bucket column gains it, with its queued jobs keyed, on its next start", async () => {
    const product = "buckets-upgrade";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    const job = await submit(product, { title: "cpu job", requires: ["os:linux"], engine: "codex" });
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP INDEX jobs_by_bucket");
      sql.exec("ALTER TABLE jobs DROP COLUMN cap_key"); // the table as an older coordinator stored it
      applySchema(sql); // what the constructor runs on start
      const key = sql.exec<{ cap_key: string }>("SELECT cap_key FROM jobs WHERE id = ?", job.id).one().cap_key;
      expect(key).toBe(keyOfCapabilities(["os:linux", "engine:codex"]));
    });
    await enroll(product, "codex-box", ["os:linux", "engine:codex"]).then(async (codex) => {
      expect((await claim(product, f.token)).status).toBe(204); // lacks engine:codex
      expect((await claim(product, codex.token)).body.job.id).toBe(job.id);
    });
  });
});
