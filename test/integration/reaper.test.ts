// The cron safety net: a sweep requeues an expired lease even when the alarm was lost.
import {
  createExecutionContext,
  createScheduledController,
  env,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { claim, enroll, getJob, submit } from "./client";
import { expireLeaseNow } from "./state";

describe("cron reaper", () => {
  it("requeues an expired lease whose alarm was lost, idempotently", async () => {
    const product = "reaper-lost-alarm";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "x" });
    await claim(product, f.token);
    await expireLeaseNow(product, job.id);
    // Lose the alarm.
    await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      await state.storage.deleteAlarm();
    });
    await env.DB.prepare("INSERT OR IGNORE INTO products(id, first_seen_at, last_seen_at) VALUES (?, 0, 0)")
      .bind(product)
      .run();

    for (let i = 0; i < 2; i++) {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env, ctx);
      await waitOnExecutionContext(ctx);
    }
    // Requeued once (epoch 2), not twice.
    expect(await getJob(product, job.id)).toMatchObject({ stage: "queued", leaseEpoch: 2, attempt: 1 });
  });
});
