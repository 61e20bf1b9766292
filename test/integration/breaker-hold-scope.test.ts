// `overflow: hold` in workerd holds a plain job only for a breaker on a factory that could have taken it: while the
// broken factory is in service the job waits (`breaker_open` naming it, `overflow_hold` on the idle one); once that
// factory is quarantined the idle factory claims the job at once, its explain shows no hold, and the waiting view
// no longer blames the quarantined factory's breaker (a newcomer's plain job waited ~2.5 min on an idle host). The
// wait names the breaker's end (`detail.until`, "open until T, then one trial job"), as the alert does; half-open,
// with its one trial on the factory's seat, it names that trial job ("is broken" said neither). A route context
// reads the breakers table once: the filter's open keys and the hold's details come from the same rows. A factory
// down (silent past 3 beats, no link) holds nothing either: it could run no trial, and held the fleet its cool-down.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { routeContext } from "../../src/durable-objects/coordinator/dispatch/claim.ts";
import { forgetAllCachedFactories } from "../../src/durable-objects/coordinator/factories/cache.ts";
import { ADMIN, api, claim, enroll, type JobView, P, submit } from "./client";
import { recordStatements } from "./state.ts";

type Explained = { rejected: Array<{ factoryName: string; reasons: string[] }> };

async function failPlainJobs(product: string, token: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const job = await submit(product, { title: `doomed ${i}` });
    const c = await claim(product, token);
    expect(c.body.job.id).toBe(job.id);
    const r = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token,
      json: {
        leaseEpoch: c.body.lease.leaseEpoch,
        stage: "failed",
        result: { outcome: "failure", rc: 1, retryable: false },
      },
    });
    expect(r.status).toBe(200);
  }
}

describe("overflow: hold and a breaker on a factory out of service", () => {
  it("a plain job runs on the idle factory once the broken one is quarantined", async () => {
    const product = "breaker-hold-scope";
    const settings = { overflow: "hold", breaker: { failureThreshold: 2, coolDownSeconds: 20 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const gpu = await enroll(product, "demo-gpu", ["gpu"]);
    await failPlainJobs(product, gpu.token, 2);
    const docker = await enroll(product, "demo-docker", ["docker"], 2);
    const plain = await submit(product, { title: "plain" });
    // In service, the gpu factory could have run it: the hold keeps it off demo-docker.
    expect((await claim(product, docker.token)).status).toBe(204);
    const waiting = await api<
      JobView & { waitingReason: { code: string; message: string; detail: Record<string, unknown> } }
    >("GET", `${P(product)}/jobs/${plain.id}`, { token: ADMIN });
    expect(waiting.body.waitingReason.code).toBe("breaker_open");
    const open = await api<{ breakers: Array<{ openUntil: number }> }>("GET", `${P(product)}/breakers`, {
      token: ADMIN,
    });
    const until = open.body.breakers[0]?.openUntil;
    // The breaker's state and its end (the dashboard reads the job again then), as the alert and `factories` say.
    expect(waiting.body.waitingReason.detail).toMatchObject({
      until,
      factories: [{ name: "demo-gpu", until }],
      overflow: "hold",
    });
    expect(waiting.body.waitingReason.message).toContain(
      `breaker on demo-gpu is open until ${new Date(until ?? 0).toISOString().slice(0, 19)}Z, then one trial job`,
    );
    const status = { status: "quarantined" };
    const q = await api("POST", `${P(product)}/factories/${gpu.factoryId}/status`, { token: ADMIN, json: status });
    expect(q.status).toBe(200);
    const why = await api<Explained>("GET", `${P(product)}/jobs/${plain.id}/explain`, { token: ADMIN });
    const reasons = why.body.rejected.find((c) => c.factoryName === "demo-docker")?.reasons ?? [];
    expect(reasons.filter((r) => r.startsWith("overflow_hold:"))).toEqual([]);
    const c = await claim(product, docker.token);
    expect(c.status).toBe(200);
    expect(c.body.job.id).toBe(plain.id);
  });
});

describe("overflow: hold and a breaker on a factory that is down", () => {
  it("a plain job runs on the idle factory while the broken one is silent past 3 beats (it could run no trial)", async () => {
    const product = "breaker-hold-down";
    const settings = { overflow: "hold", breaker: { failureThreshold: 2, coolDownSeconds: 600 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const gpu = await enroll(product, "demo-gpu", ["gpu"]);
    await failPlainJobs(product, gpu.token, 2);
    const docker = await enroll(product, "demo-docker", ["docker"]);
    const plain = await submit(product, { title: "plain" });
    expect((await claim(product, docker.token)).status).toBe(204); // up, the gpu factory's breaker holds it
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const at = Date.now() - 10 * 60_000; // no beat for 10 min: down (core/health), and no link (an HTTP poller)
      const beats = "json_set(doc, '$.lastHeartbeatAt', ?1, '$.polledAt', ?1)";
      state.storage.sql.exec(`UPDATE factories SET doc = ${beats} WHERE id = ?2`, at, gpu.factoryId);
      forgetAllCachedFactories(state.storage.sql); // written behind factories/registry's back: its cache must hear
    });
    const c = await claim(product, docker.token);
    expect(c.status).toBe(200);
    expect(c.body.job.id).toBe(plain.id);
  });
});

describe("a half-open breaker's trial", () => {
  it("the waiting job names the trial job running on the factory's only seat, with no end to read at", async () => {
    const product = "breaker-trial-words";
    const settings = { breaker: { failureThreshold: 2, coolDownSeconds: 20 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const gpu = await enroll(product, "demo-gpu", ["gpu"], 2);
    await failPlainJobs(product, gpu.token, 2);
    // The cool-down is over (the stored open-until set back: time as a parameter, no sleeping).
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec("UPDATE breakers SET open_until = ? WHERE factory_id = ?", Date.now() - 1, gpu.factoryId);
    });
    const trial = await submit(product, { title: "trial" });
    expect((await claim(product, gpu.token)).body.job.id).toBe(trial.id);
    const next = await submit(product, { title: "next" });
    const waiting = await api<JobView & { waitingReason: { code: string; message: string; detail: object } }>(
      "GET",
      `${P(product)}/jobs/${next.id}`,
      { token: ADMIN },
    );
    expect(waiting.body.waitingReason.code).toBe("breaker_open");
    expect(waiting.body.waitingReason.message).toBe(
      `the default engine's breaker on demo-gpu is half-open: trial job ${trial.id} is running — a trial job's ` +
        "success closes it and the job runs",
    );
    expect(waiting.body.waitingReason.detail).not.toHaveProperty("until");
  });
});

describe("a route context's breakers", () => {
  it("are read once: the open keys and the details from the same rows", async () => {
    const product = "breaker-one-read";
    const settings = { breaker: { failureThreshold: 2, coolDownSeconds: 600 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const gpu = await enroll(product, "demo-gpu", ["gpu"]);
    await failPlainJobs(product, gpu.token, 2);
    let statements: string[] = [];
    const read = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const stop = recordStatements(state);
      let ctx: ReturnType<typeof routeContext> | undefined;
      try {
        ctx = routeContext({ sql: state.storage.sql, productId: product, now: Date.now() });
      } finally {
        statements = stop();
      }
      return {
        reads: statements.filter((q) => /\bFROM breakers\b/.test(q)).length,
        open: [...(ctx?.openBreakers ?? [])],
        detailed: [...(ctx?.breakers?.keys() ?? [])],
      };
    });
    expect(read.reads).toBe(1);
    expect(read.open).toEqual([`${gpu.factoryId}:*`]);
    expect(read.detailed).toEqual(read.open);
  });
});
