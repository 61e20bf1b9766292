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
import { openSocket } from "./sockets";
import { expireLeaseNow } from "./state";

async function sweepAll() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

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

    for (let i = 0; i < 2; i++) await sweepAll();
    // Requeued once (epoch 2), not twice.
    expect(await getJob(product, job.id)).toMatchObject({ stage: "queued", leaseEpoch: 2, attempt: 1 });
  });

  it("leaves a factory socket that has just connected alone, though its hello is not in yet", async () => {
    // A never-heard-from factory counts as down; its fresh socket must not be closed for it. (The likely cause of
    // "no welcome within 30 s" for 8 of 1,000 benchmark factories connecting, at one per minute's sweep.)
    const product = "reaper-fresh-socket";
    const f = await enroll(product, "fresh");
    await env.DB.prepare("INSERT OR IGNORE INTO products(id, first_seen_at, last_seen_at) VALUES (?, 0, 0)")
      .bind(product)
      .run();
    const s = await openSocket(`/api/v1/products/${product}/factories/connect`, { authorization: `Bearer ${f.token}` });
    await sweepAll();
    s.send({ type: "hello", v: 1, capabilities: [], seats: 1, engines: [], agentVersion: "test" });
    await s.next("welcome");
    expect(s.closed).toBeUndefined();
    s.close();
  });
});
