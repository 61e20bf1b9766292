// A critical job never takes a seat its own preemption just made unusable. Preempting a victim whose lease had
// lapsed (not yet expired: the alarm that would have run late) expires it in the pass — its run closes `timeout`, a
// failure of its engine, which may trip that factory × engine's breaker (core/breaker) in that very unit. The pass's
// route context had read the breakers before, so the critical job of that engine was pushed to the factory whose
// breaker had just opened. Now the open breaker holds in the same pass: the lapsed victim is still expired and told to
// stop, and the critical job waits (`breaker_open`) instead of running on the broken engine.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../src/core/settings.ts";
import { setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import { enroll, getJob, submit } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";
import { dispatchSettled, holdAlarm, lapseLease, settleAlarm } from "./state.ts";

describe("a preemption that expires a lapsed victim and so trips its engine's breaker", () => {
  it("does not hand the freed seat to a critical job of that engine", async () => {
    const product = "preempt-lapsed-trip";
    const stub = env.COORDINATOR.getByName(product);
    await runInDurableObject(stub, (_i, state) => {
      setMeta(state.storage.sql, "settings", JSON.stringify({ ...DEFAULT_SETTINGS, preemption: true }));
    });
    const f = await enroll(product, "f", ["engine:x"], 1); // a job naming engine x needs the capability
    const { socket } = await connectFactory(product, f.token, { capabilities: ["engine:x"] });
    const victim = await submit(product, { title: "V", priority: "low", engine: "x" });
    const lease = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(lease.job.id).toBe(victim.id);
    // One failure short of the threshold: the victim's expiry is the run that trips it.
    const threshold = DEFAULT_SETTINGS.breaker.failureThreshold;
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec(
        "INSERT INTO breakers(factory_id, engine, consecutive_failures) VALUES (?, 'x', ?)",
        f.factoryId,
        threshold - 1,
      );
    });
    await settleAlarm(product);
    const release = await holdAlarm(product);
    await lapseLease(product, victim.id); // its agent went silent; the reaper has not run

    const crit = await submit(product, { title: "C", priority: "critical", engine: "x" });
    await dispatchSettled(product);
    expect(await socket.next("cancel")).toMatchObject({ jobId: victim.id, leaseEpoch: lease.leaseEpoch });
    const breaker = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql
        .exec<{ n: number; until: number | null }>(
          "SELECT consecutive_failures AS n, open_until AS until FROM breakers WHERE factory_id = ? AND engine = 'x'",
          f.factoryId,
        )
        .one(),
    );
    expect(breaker.n).toBe(threshold);
    expect(breaker.until).not.toBeNull(); // open
    const assigned = socket.frames
      .filter((x) => x.type === "assign")
      .flatMap((x) => (x as unknown as AssignFrame).assignments.map((a) => a.job.id));
    expect(assigned).not.toContain(crit.id);
    const c = await getJob(product, crit.id);
    expect(c.stage).toBe("queued");
    expect((c.waitingReason as { code: string } | null)?.code).toBe("breaker_open");
    await release();
    socket.close();
  });
});
