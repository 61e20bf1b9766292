// The cron's sweep of every product (worker/reaper `sweepAll`) is a pool of SWEEP_CONCURRENCY lanes: a product whose
// sweep is slow (a deep outbox, a cold coordinator) holds one lane, and every other product is swept meanwhile —
// in fixed chunks of 8, every product after it waited for it, and its lapsed leases a minute or more with them.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sweepAll } from "../../src/worker/reaper.ts";
import { until } from "./client.ts";

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
