// Faults a hostile review of pass 42's server side found, each red before its fix: an operator's pause with no budget
// set stops dispatch, and `GET …/metrics` says so (`dispatchPaused`, `dispatchPausedBy: operator`, no `budget`) as
// its Prometheus text does (`gigafactory_budget_dispatch_paused` 1, written budget or not; 0 again after a resume);
// `GET …/health` and the metrics' seats (`disconnectedFactories`) count a draining factory whose socket closed alike —
// one rule (core/factory-link `linkEndedWhileUp`) over every factory, one count; and (older than pass 42) a factory
// cannot report its own failed runs as `cancelled` or `fenced`, outcomes only the coordinator records (neutral to
// breakers): over HTTP a `400 validation_failed` naming why, over the socket a refused `fail` frame, alone or in a
// batch — nothing changes, and the honest `failure` of the same run is taken.
import { describe, expect, it } from "vitest";
import type { MetricsSnapshot } from "../../src/shared/api-metrics.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit, until } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";

/** The Prometheus samples whose name is `name`, as `[labels, value]`. */
async function samples(product: string, name: string): Promise<Array<[string, number]>> {
  const r = await api<string>("GET", `${P(product)}/metrics?format=prometheus`, { token: ADMIN });
  expect(r.status).toBe(200);
  return String(r.body)
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`))
    .map((l) => [l.slice(name.length, l.lastIndexOf(" ")), Number(l.split(" ").at(-1))]);
}

describe("pass 42 review: what the metrics say of dispatch and links", () => {
  it("an operator's pause with no budget set shows in the metrics as dispatch paused", async () => {
    const product = "p42-review-unset-pause-metrics";
    await enroll(product, "box-1");
    const paused = await api("POST", `${P(product)}/budget/pause`, { token: ADMIN });
    expect(paused.body).toMatchObject({ budget: null, pausedBy: "operator", changed: true });
    // Dispatch is paused (settings.budgetPaused): every claim finds nothing until a resume.
    const settings = await api<{ budgetPaused: boolean }>("GET", `${P(product)}/settings`, { token: ADMIN });
    expect(settings.body.budgetPaused).toBe(true);
    // A monitoring rule on `gigafactory_budget_dispatch_paused == 1` is what sees a paused fleet: it must see this one.
    const series = await samples(product, "gigafactory_budget_dispatch_paused");
    expect(series.map(([, v]) => v)).toContain(1);
    const json = await api<MetricsSnapshot>("GET", `${P(product)}/metrics`, { token: ADMIN });
    expect(json.body).toMatchObject({ dispatchPaused: true, dispatchPausedBy: "operator" });
    expect(json.body.budget).toBeUndefined();
    // And a resume says so: 0, not a series gone stale (always written, budget or not).
    expect((await api("POST", `${P(product)}/budget/resume`, { token: ADMIN })).status).toBe(200);
    expect(await samples(product, "gigafactory_budget_dispatch_paused")).toEqual([[`{product="${product}"}`, 0]]);
    const resumed = await api<MetricsSnapshot>("GET", `${P(product)}/metrics`, { token: ADMIN });
    expect(resumed.body.dispatchPaused).toBe(false);
    expect(resumed.body.dispatchPausedBy).toBeUndefined();
  });

  it("health and the metrics count the same factories disconnected (a draining one whose socket closed)", async () => {
    const product = "p42-review-disconnected-draining";
    const f = await enroll(product, "ws-host", [], 2);
    const link = await connectFactory(product, f.token, { seats: 2 });
    const drained = await api("POST", `${P(product)}/factories/${f.factoryId}/status`, {
      token: ADMIN,
      json: { status: "draining" },
    });
    expect(drained.status).toBe(200);
    link.socket.close();
    const health = await until(
      () => api<{ factories: Record<string, number> }>("GET", `${P(product)}/health`, { token: ADMIN }),
      (r) => r.body.factories.disconnected === 1,
      { what: "health counting the closed socket's draining factory disconnected" },
    );
    expect(health.body.factories).toMatchObject({ ok: 1, disconnected: 1 });
    const metrics = await api<{ seats: { disconnectedFactories: number } }>("GET", `${P(product)}/metrics`, {
      token: ADMIN,
    });
    // The same factory, by the same rule, under the same name: one count.
    expect(metrics.body.seats.disconnectedFactories).toBe(health.body.factories.disconnected);
  });

  it("a factory cannot keep its breaker closed by reporting its own failures as cancelled or fenced", async () => {
    const product = "p42-review-reported-neutral";
    // Six seats, one per job: a refused report leaves its lease held (nothing changes), so one seat would take no more.
    const f = await enroll(product, "liar", ["engine:claude"], 6);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const job = await submit(product, { title: `crashes ${i}`, engine: "claude" });
      const c = await claim(product, f.token);
      expect(c.body.job.id).toBe(job.id);
      // Nobody cancelled it and its lease is live: the coordinator closes a run `cancelled`/`fenced` itself, never so.
      const r = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
        token: f.token,
        json: {
          leaseEpoch: c.body.lease.leaseEpoch,
          stage: "failed",
          result: { outcome: i % 2 === 0 ? "cancelled" : "fenced", rc: 1, retryable: false },
        },
      });
      statuses.push(r.status);
    }
    const list = await api<{ factories: Array<{ id: string; breakers: Array<{ state: string }> }> }>(
      "GET",
      `${P(product)}/factories`,
      { token: ADMIN },
    );
    const breakers = list.body.factories.find((x) => x.id === f.factoryId)?.breakers ?? [];
    // Either such a report is refused at the boundary (4xx), or it counts: six engine failures open the breaker.
    const refused = statuses.every((s) => s >= 400 && s < 500);
    expect(refused || breakers.some((b) => b.state === "open")).toBe(true);
  });

  it("a factory's own cancelled or fenced result is refused over HTTP and the socket, naming why; nothing changes", async () => {
    const product = "p42-review-reported-refused";
    const f = await enroll(product, "liar", [], 1);
    const job = await submit(product, { title: "crashes" });
    const c = await claim(product, f.token);
    const before = await getJob(product, job.id);
    for (const outcome of ["cancelled", "fenced"]) {
      const r = await api<{ code: string; detail: string }>("PATCH", `${P(product)}/jobs/${job.id}`, {
        token: f.token,
        json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "failed", result: { outcome, rc: 1 } },
      });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("validation_failed");
      expect(r.body.detail).toContain(`${outcome} is the coordinator's to record`);
      expect(r.body.detail).toContain("report a failed run as failure or timeout");
    }
    expect(await getJob(product, job.id)).toEqual(before);
    // The honest report of the same run is taken: the refusal is of the outcome, not of the report.
    const honest = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: f.token,
      json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "failed", result: { outcome: "failure", rc: 1 } },
    });
    expect(honest.status).toBe(200);

    const g = await enroll(product, "liar-ws", [], 1);
    const { socket } = await connectFactory(product, g.token);
    const next = await submit(product, { title: "crashes too" });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(a.job.id).toBe(next.id);
    const ref = { jobId: next.id, leaseEpoch: a.leaseEpoch };
    const held = await getJob(product, next.id);
    // Untyped on purpose: the protocol's own type no longer lets a factory write these.
    const cancelled: Record<string, unknown> = {
      type: "fail",
      id: "c",
      ...ref,
      result: { outcome: "cancelled", rc: 1 },
    };
    socket.send(cancelled);
    expect(await socket.answer("c")).toMatchObject({
      type: "error",
      code: "validation_failed",
      message: expect.stringContaining("cancelled is the coordinator's to record"),
    });
    const batch: Record<string, unknown> = {
      type: "batch",
      id: "b",
      frames: [{ type: "fail", ...ref, result: { outcome: "fenced" } }],
    };
    socket.send(batch);
    expect(await socket.answer("b")).toMatchObject({
      type: "error",
      code: "validation_failed",
      message: expect.stringContaining("fenced is the coordinator's to record"),
    });
    expect(await getJob(product, next.id)).toEqual(held);
    socket.send({ type: "fail", id: "f", ...ref, result: { outcome: "failure", rc: 1 } });
    expect(await socket.answer("f")).toMatchObject({ type: "ack" });
    socket.close();
  });
});
