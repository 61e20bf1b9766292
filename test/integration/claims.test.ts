// Guarantee 1 — at most one live holder, under many concurrent claims.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { claim, enroll, submit } from "./client.ts";

describe("concurrent claims", () => {
  it("never give one job two live leases, whatever the number of racing factories", async () => {
    const product = "claims-race";
    const factories = await Promise.all(Array.from({ length: 16 }, (_, i) => enroll(product, `f${i}`, [], 4)));
    const jobs = await Promise.all(Array.from({ length: 30 }, (_, i) => submit(product, { title: `job ${i}` })));
    // 16 factories × 4 seats = 64 claim slots racing for 30 jobs, all at once.
    const replies = await Promise.all(
      factories.flatMap((f) => Array.from({ length: 4 }, () => claim(product, f.token))),
    );
    const won = replies.filter((r) => r.status === 200).map((r) => r.body.job.id);
    expect(replies.filter((r) => r.status === 204)).toHaveLength(64 - 30);
    expect(new Set(won).size).toBe(won.length);
    expect(new Set(won)).toEqual(new Set(jobs.map((j) => j.id)));

    // And the coordinator's own rows agree: one holder per job, epoch 1.
    const stub = env.COORDINATOR.getByName(product);
    const rows = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql
        .exec<{ id: string; holder: string; epoch: number }>(
          "SELECT id, holder_factory_id AS holder, lease_epoch AS epoch FROM jobs WHERE stage = 'assigned'",
        )
        .toArray(),
    );
    expect(rows).toHaveLength(30);
    for (const r of rows) expect(r.epoch).toBe(1);
  });

  it("respects seats: a factory never holds more live leases than it has seats", async () => {
    const product = "claims-seats";
    const f = await enroll(product, "one-seat", [], 1);
    await submit(product, { title: "a" });
    await submit(product, { title: "b" });
    const [r1, r2] = await Promise.all([claim(product, f.token), claim(product, f.token)]);
    expect([r1.status, r2.status].sort()).toEqual([200, 204]);
  });

  it("filters by capability: a job that requires gpu goes only to a gpu factory", async () => {
    const product = "claims-caps";
    const cpu = await enroll(product, "cpu", ["os:linux"]);
    const gpu = await enroll(product, "gpu", ["os:linux", "gpu"]);
    const job = await submit(product, { title: "train", requires: ["gpu"] });
    expect((await claim(product, cpu.token)).status).toBe(204);
    const won = await claim(product, gpu.token);
    expect(won.status).toBe(200);
    expect(won.body.job.id).toBe(job.id);
  });

  it("claims the most urgent job first: critical before low", async () => {
    const product = "claims-priority";
    const f = await enroll(product, "f", [], 2);
    await submit(product, { title: "low", priority: "low" });
    const critical = await submit(product, { title: "urgent", priority: "critical" });
    expect((await claim(product, f.token)).body.job.id).toBe(critical.id);
  });

  it("keeps a serial gate: two jobs with the same serialKey never run at once", async () => {
    const product = "claims-serial";
    const f = await enroll(product, "f", [], 4);
    await submit(product, { title: "a", serialKey: "repo-x" });
    await submit(product, { title: "b", serialKey: "repo-x" });
    await submit(product, { title: "c", serialKey: "repo-y" });
    const titles = [];
    for (let i = 0; i < 3; i++) {
      const r = await claim(product, f.token);
      if (r.status === 200) titles.push(r.body.job.title);
    }
    expect(titles.sort()).toEqual(["a", "c"]);
  });
});
