// The alarm's arming after a settling reads no due instant while the alarm armed is already due (fresh, at or before now): no statement is run and nothing re-armed, since the runtime runs it at once either way; a lease that lapsed before that instant is still expired by that alarm, run on its own; and an armed instant older than the staleness bound (60 s) is not trusted: the due instants are read and the alarm armed, as before.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { NEXT_DUE_SQL } from "../../src/durable-objects/coordinator/runtime/alarm.ts";
import { claim, enroll, submit } from "./client.ts";
import { until } from "./polling.ts";
import { lapseLease, recordStatements } from "./state.ts";

/** The coordinator's alarm bookkeeping (coordinator/runtime/alarm), as this test drives it. */
interface AlarmInternals {
  clock: { at: number | null; arm(): Promise<void> };
}

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

/**
 * Inside the object: no alarm in the runtime, the clock told one is armed `agoMs` ago, then one arming as after a
 * unit's commit. What it read, what the clock holds and what the runtime has armed after it.
 */
function armAfter(product: string, agoMs: number) {
  return runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
    await state.storage.deleteAlarm();
    const clock = (instance as unknown as AlarmInternals).clock;
    const told = Date.now() - agoMs;
    clock.at = told;
    const stop = recordStatements(state);
    let statements: string[];
    try {
      await clock.arm();
    } finally {
      statements = stop();
    }
    return { dueRead: statements.includes(NEXT_DUE_SQL), told, at: clock.at, armed: await state.storage.getAlarm() };
  });
}

describe("arming the alarm while the one armed is already due", () => {
  it("reads no due instant and re-arms nothing", async () => {
    const product = "alarm-due-already";
    const job = await submit(product, { title: "retry later", requires: ["gpu"] });
    await setNotBefore(product, job.id, Date.now() + 60_000); // something due ahead, were the instants read
    const r = await armAfter(product, 5);
    expect(r.dueRead).toBe(false);
    expect(r.at).toBe(r.told);
    expect(r.armed).toBeNull(); // nothing set by this arming (the test's runtime had none)
  });

  it("does not trust an armed instant past the staleness bound: reads the due instants and arms", async () => {
    const product = "alarm-due-stale";
    const job = await submit(product, { title: "retry later", requires: ["gpu"] });
    const end = Date.now() + 60_000;
    await setNotBefore(product, job.id, end);
    const r = await armAfter(product, 61_000);
    expect(r.dueRead).toBe(true);
    expect(r.armed).not.toBeNull();
    expect(r.armed as number).toBeLessThanOrEqual(end);
  });

  it("still expires a lease that lapsed before the instant armed, by that alarm run on its own", async () => {
    const product = "alarm-due-lapsed";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "held" });
    const got = await claim(product, f.token);
    expect(got.body.job.id).toBe(job.id);
    await lapseLease(product, job.id, 5_000);
    // The alarm armed for a second ago, the clock told so; then a unit commits and its settling arms.
    await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
      const at = Date.now() - 1_000;
      (instance as unknown as AlarmInternals).clock.at = at;
      await state.storage.setAlarm(at);
    });
    await submit(product, { title: "a unit after it" });
    const row = await until(
      () =>
        runInDurableObject(env.COORDINATOR.getByName(product), (_instance, state) =>
          state.storage.sql.exec<{ stage: string }>("SELECT stage FROM jobs WHERE id = ?", job.id).one(),
        ),
      (r) => r.stage === "queued",
      { what: "the lapsed lease expired by the alarm already due" },
    );
    expect(row.stage).toBe("queued");
  });
});
