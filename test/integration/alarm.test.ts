// The coordinator's single alarm is never armed in the past: a retry whose backoff has ended but that no factory
// can take yet must not make the alarm fire again and again (a tight loop of wasted work, issue 10 kind 3); the
// alarm still wakes at a backoff that lies ahead, and its pass dispatches the job once it is due. Its due-time
// queries walk their own indexes, pinned by their query plans. An alarm that could not be set is not taken as set.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { NEXT_EXCLUSION_END_SQL } from "../../src/durable-objects/coordinator/dispatch/exclusions.ts";
import { NEXT_LEASE_EXPIRY_SQL } from "../../src/durable-objects/coordinator/dispatch/lease-ops.ts";
import { NEXT_DUE_SQL, NEXT_NOT_BEFORE_SQL, nextDueAt } from "../../src/durable-objects/coordinator/runtime/alarm.ts";
import { submit } from "./client.ts";
import { queryPlan } from "./state.ts";

/** Give a queued job a retry backoff ending at `at` (ms), in its column and its document, as the store keeps them. */
async function setNotBefore(product: string, jobId: string, at: number): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_instance, state) => {
    state.storage.sql.exec(
      "UPDATE jobs SET not_before = ?1, doc = json_set(doc, '$.notBefore', ?1) WHERE id = ?2",
      at,
      jobId,
    );
  });
}

/** The coordinator's internals this test drives: its alarm bookkeeping (coordinator/runtime/alarm). */
interface AlarmInternals {
  clock: { at: number | null; arm(): Promise<void> };
}

/**
 * Reschedule from a clean slate and read what was armed, inside the object (so the alarm cannot fire in between):
 * exactly what every atomic unit does after it commits.
 */
const rescheduled = (product: string) =>
  runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
    await state.storage.deleteAlarm();
    const internals = instance as unknown as AlarmInternals;
    internals.clock.at = null;
    await internals.clock.arm();
    return state.storage.getAlarm();
  });

describe("the coordinator's alarm", () => {
  it("is never armed in the past for a due retry that no factory can take", async () => {
    const product = "alarm-past";
    const waiting = await submit(product, { title: "due, nobody to take it", requires: ["gpu"] });
    await setNotBefore(product, waiting.id, Date.now() - 10_000);
    const before = Date.now();
    const at = await rescheduled(product);
    // The runtime clamps a past alarm to "now" and fires it at once, so "armed in the past" reads as "armed about
    // now"; the only other thing due here is the outbox, which is never retried sooner than a second from now.
    expect(at === null || at - before >= 500, `alarm armed ${(at ?? 0) - before} ms after the reschedule`).toBe(true);
  });

  it("wakes at a backoff that lies ahead", async () => {
    const product = "alarm-ahead";
    const job = await submit(product, { title: "retry later", requires: ["gpu"] });
    const end = Date.now() + 60_000;
    await setNotBefore(product, job.id, end);
    const at = await rescheduled(product);
    expect(at).not.toBeNull();
    expect(at as number).toBeLessThanOrEqual(end);
  });

  it("is armed by the next unit after setting it failed once (the instant it meant to arm is not taken as armed)", async () => {
    const product = "alarm-arm-failed";
    const job = await submit(product, { title: "retry later", requires: ["gpu"] });
    await setNotBefore(product, job.id, Date.now() + 60_000);
    const armed = await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
      await state.storage.deleteAlarm();
      const clock = (instance as unknown as AlarmInternals).clock;
      clock.at = null;
      const storage = (clock as unknown as { storage: DurableObjectStorage }).storage;
      const setAlarm = storage.setAlarm;
      storage.setAlarm = () => Promise.reject(new Error("test: the alarm was not set"));
      const failed = await clock.arm().then(
        () => "armed",
        (err: Error) => err.message,
      );
      storage.setAlarm = setAlarm;
      await clock.arm(); // what the next unit does after it commits
      return { failed, at: await state.storage.getAlarm() };
    });
    expect(armed.failed).toBe("test: the alarm was not set");
    expect(armed.at).not.toBeNull(); // before: null — the failed instant was taken as armed for up to 60 s
  });
});

describe("the alarm's due-time queries", () => {
  it("walk their own indexes, never every queued or assigned job (a coordinator has no planner statistics)", async () => {
    const product = "alarm-plans";
    await submit(product, { title: "binds the coordinator" });
    const plans = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      [
        [NEXT_NOT_BEFORE_SQL, [1]],
        [NEXT_LEASE_EXPIRY_SQL, []],
        [NEXT_EXCLUSION_END_SQL, [1]],
      ].map(([q, args]) => queryPlan(state.storage.sql, q as string, ...(args as number[]))),
    );
    expect(plans[0]).toMatch(/SEARCH jobs USING INDEX jobs_by_not_before/);
    expect(plans[1]).toMatch(/SEARCH jobs USING INDEX jobs_by_lease/);
    expect(plans[2]).toMatch(
      /SEARCH e USING INDEX exclusions_by_until[\s\S]*SEARCH j USING INDEX sqlite_autoindex_jobs_1/,
    );
    for (const p of plans) expect(p).not.toMatch(/TEMP B-TREE|jobs_by_stage/);
  });

  it("are asked in one statement whose subqueries keep those plans, and answer what each asks", async () => {
    const product = "alarm-one-statement";
    const job = await submit(product, { title: "retried later" });
    const at = Date.now() + 3_600_000;
    await setNotBefore(product, job.id, at);
    const { plan, due } = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => ({
      plan: queryPlan(state.storage.sql, NEXT_DUE_SQL, 1),
      due: nextDueAt(state.storage.sql, Date.now(), undefined),
    }));
    expect(plan).toMatch(/SEARCH jobs USING INDEX jobs_by_not_before/);
    expect(plan).toMatch(/SEARCH jobs USING INDEX jobs_by_lease/);
    expect(plan).toMatch(/SEARCH e USING INDEX exclusions_by_until/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
    expect(due).toBe(at);
  });
});
