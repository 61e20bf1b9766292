// The cron reaper (worker/reaper) when coordinators misbehave: a product whose sweep or prune never answers holds its
// lane for at most the pass timeout, so every other product is still swept and pruned even when as many products hang
// as there are lanes, the hung ones counted failed; and a cron run that could not sweep some product fails visibly
// (its waitUntil rejects, naming the product, which the runtime records as the run's status), measuring retention
// from the trigger's scheduled time.
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { sweepAll } from "../../src/worker/reaper.ts";
import { until } from "./polling";

async function known(ids: readonly string[]): Promise<void> {
  for (const id of ids)
    await env.DB.prepare("INSERT OR IGNORE INTO products(id, first_seen_at, last_seen_at) VALUES (?, 0, 0)")
      .bind(id)
      .run();
}

afterEach(async () => {
  await env.DB.prepare("DELETE FROM products").run();
});

describe("the cron sweep's lanes", () => {
  it("sweeps and prunes every other product while as many products hang as there are lanes", async () => {
    // First in the list, as in production every minute: the same products met first, each time.
    const hung = Array.from({ length: 10 }, (_, i) => `a-hung-${i}`);
    const fast = Array.from({ length: 20 }, (_, i) => `b-fast-${i}`);
    await known([...hung, ...fast]);
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
    const pass = sweepAll(fake, Date.now(), 20);
    const done = await until(
      async () => fast.filter((id) => swept.includes(id) && pruned.includes(id)),
      (d) => d.length === fast.length,
      { ms: 5_000, what: "every product that answers swept and pruned" },
    );
    expect(done).toEqual(fast);
    const result = await pass;
    expect(result).toMatchObject({ swept: fast.length, failed: hung.length });
    expect([...result.failedIds].sort()).toEqual(hung);
  });
});

describe("a cron run", () => {
  it("fails, naming the product, when a product's sweep fails; retention measured from the scheduled time", async () => {
    await known(["c-broken", "c-fine"]);
    const prunedAt: number[] = [];
    const coordinator = (id: string) => ({
      sweep: async () => {
        if (id === "c-broken") throw new Error("outbox unreachable");
        return { ok: true, value: {} };
      },
      prune: async (_p: string, now: number) => {
        prunedAt.push(now);
        return { ok: true, value: {} };
      },
    });
    const fake = { ...env, COORDINATOR: { getByName: coordinator } } as unknown as Env;
    const scheduledTime = Date.UTC(2026, 0, 1);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime, cron: "* * * * *" }), fake, ctx);
    await expect(waitOnExecutionContext(ctx)).rejects.toThrow(/1 of 2 products failed \(c-broken\)/);
    expect(prunedAt).toEqual([scheduledTime, scheduledTime]);
  });

  it("succeeds when every product is swept", async () => {
    await known(["d-fine"]);
    const coordinator = () => ({
      sweep: async () => ({ ok: true, value: {} }),
      prune: async () => ({ ok: true, value: {} }),
    });
    const fake = { ...env, COORDINATOR: { getByName: coordinator } } as unknown as Env;
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), fake, ctx);
    await expect(waitOnExecutionContext(ctx)).resolves.toBeUndefined();
  });
});
