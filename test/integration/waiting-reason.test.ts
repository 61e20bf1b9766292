// Every job the API returns says why it waits, true now: for each cause reachable today (a job failed by a dep that an operator has requeued since is no longer told the dep is dead; no capable factory, none connected, every capable one draining, every seat busy, unmet deps, a held serial key, a retry backoff, a review, an exclusion, about to dispatch) GET …/jobs/{id}, the list (summary and full) and explain agree on the code and its fix, and name the detail (no capable factory: the fix says how to add the capability); a running job has none.
import { describe, expect, it } from "vitest";
import type { WaitingReason } from "../../src/core/waiting-reason.ts";
import { WaitingReasonSchema } from "../../src/shared/api-policies.ts";
import { ADMIN, api, claim, enroll, type JobView, P, submit, until } from "./client";
import { connectFactory } from "./sockets";

type WithReason = JobView & { waitingReason: WaitingReason | null };

/** The job's reason as GET …/jobs/{id}, the list in both shapes and explain give it — checked to be one and the same. */
async function reasonOf(product: string, id: string): Promise<WaitingReason | null> {
  const one = await api<WithReason>("GET", `${P(product)}/jobs/${id}`, { token: ADMIN });
  expect(one.status).toBe(200);
  for (const fields of ["summary", "full"]) {
    const page = await api<{ jobs: WithReason[] }>("GET", `${P(product)}/jobs?fields=${fields}`, { token: ADMIN });
    const listed = page.body.jobs.find((j) => j.id === id);
    expect(listed?.waitingReason?.code ?? null).toBe(one.body.waitingReason?.code ?? null);
    expect(listed?.waitingReason?.fix).toBe(one.body.waitingReason?.fix);
  }
  const explained = await api<{ waitingReason: WaitingReason | null }>("GET", `${P(product)}/jobs/${id}/explain`, {
    token: ADMIN,
  });
  expect(explained.body.waitingReason?.code ?? null).toBe(one.body.waitingReason?.code ?? null);
  expect(explained.body.waitingReason?.fix).toBe(one.body.waitingReason?.fix); // one rule (core/waiting-fix)
  // The shape the OpenAPI document publishes (#/components/schemas/WaitingReason).
  if (one.body.waitingReason) expect(WaitingReasonSchema.parse(one.body.waitingReason)).toBeTruthy();
  return one.body.waitingReason;
}

/** An HTTP factory that has just heartbeated: it polls, so it counts as connected. */
async function liveHttpFactory(product: string, name: string, caps: string[] = [], seats = 1) {
  const f = await enroll(product, name, caps, seats);
  await api("POST", `${P(product)}/factories/heartbeat`, { token: f.token, json: {} });
  return f;
}

describe("waitingReason on every job read", () => {
  it("no_capable_factory names the capabilities no enrolled factory has", async () => {
    const product = "wait-nocap";
    await liveHttpFactory(product, "linux", ["os:linux"]);
    const job = await submit(product, { title: "t", requires: ["gpu", "os:linux"] });
    const r = await reasonOf(product, job.id);
    expect(r?.code).toBe("no_capable_factory");
    expect(r?.detail).toMatchObject({ missing: ["gpu"] });
    expect(r?.message).toContain("gpu");
    // How to add it, in the answer itself (core/waiting-fix): what the CLI's and the dashboard's "fix" say.
    expect(r?.fix).toContain("`gigafactory enroll NAME --cap gpu`");
  });

  it("no_factory_connected when the capable factory neither polls nor holds a socket, dispatching once it connects", async () => {
    const product = "wait-offline";
    const f = await enroll(product, "gpu-box", ["gpu"], 1);
    const job = await submit(product, { title: "t", requires: ["gpu"] });
    const r = await reasonOf(product, job.id);
    expect(r?.code).toBe("no_factory_connected");
    expect(r?.message).toContain("gpu-box");
    await api("POST", `${P(product)}/factories/heartbeat`, { token: f.token, json: {} });
    const next = await reasonOf(product, job.id);
    expect(next?.code).toBe("dispatching");
    expect(next?.detail).toMatchObject({ factoryId: f.factoryId });
  });

  it("all_seats_busy while the only seat is taken; the running job has no reason", async () => {
    const product = "wait-seats";
    const f = await liveHttpFactory(product, "one-seat");
    const first = await submit(product, { title: "first" });
    expect((await claim(product, f.token)).status).toBe(200);
    const second = await submit(product, { title: "second" });
    expect(await reasonOf(product, first.id)).toBeNull();
    const r = await reasonOf(product, second.id);
    expect(r?.code).toBe("all_seats_busy");
    expect(r?.message).toContain("one-seat");
  });

  it("all_seats_busy for a WebSocket factory whose seat is taken (connected through its socket)", async () => {
    const product = "wait-ws";
    const f = await enroll(product, "ws-box", [], 1);
    const { socket } = await connectFactory(product, f.token, { seats: 1 });
    const first = await submit(product, { title: "first" });
    await socket.next("assign");
    const second = await submit(product, { title: "second" });
    expect((await reasonOf(product, second.id))?.code).toBe("all_seats_busy");
    expect(await reasonOf(product, first.id)).toBeNull();
    socket.close();
  });

  it("explain ranks only the factories that can take work: a closed socket's factory is refused, as the reason says", async () => {
    const product = "wait-ws-closed";
    const f = await enroll(product, "ws-gone", [], 1);
    const { socket } = await connectFactory(product, f.token, { seats: 1 });
    socket.close();
    const job = await submit(product, { title: "t" });
    // Its heartbeats are fresh, but with its socket gone nothing can be pushed to it: the dispatcher skips it.
    // Asserted as well as awaited: the wait names the code it expects, the assertion the whole reason.
    const said = await until(
      () => reasonOf(product, job.id),
      (r) => r?.code === "no_factory_connected",
    );
    expect(said).toMatchObject({ code: "no_factory_connected", message: expect.stringContaining("ws-gone") });
    const e = await api<{
      ranked: Array<{ factoryId: string }>;
      rejected: Array<{ factoryId: string; reasons: string[] }>;
    }>("GET", `${P(product)}/jobs/${job.id}/explain`, { token: ADMIN });
    expect(e.body.ranked).toEqual([]);
    // Said as the fleet view says it (health ok, connected: false): its link ended, not "down".
    expect(e.body.rejected).toMatchObject([{ factoryId: f.factoryId, reasons: ["factory_disconnected"] }]);
  });

  it("a factory whose agent drains is out of service, not unconnected: its socket is live, it asked for no work", async () => {
    const product = "wait-ws-drain";
    const f = await enroll(product, "draining-box", [], 1);
    const { socket } = await connectFactory(product, f.token, { seats: 1 });
    socket.send({ type: "drain", id: "d1" });
    await socket.next("ack");
    const job = await submit(product, { title: "t" });
    const r = await reasonOf(product, job.id);
    // Draining, not quarantined: that code sent an operator to `factory release`, which has nothing to release — the
    // record is active, its agent is what drains (200 `changed: false`; a host an operator drained is a 409).
    expect(r?.code).toBe("factory_draining");
    expect(r?.message).toContain("draining-box");
    const release = await api<{ status: string; changed: boolean }>(
      "POST",
      `${P(product)}/factories/${f.factoryId}/release`,
      { token: ADMIN, json: {} },
    );
    expect([release.status, release.body.status, release.body.changed]).toEqual([200, "active", false]);
    socket.close();
  });

  it("deps_unmet names each dependency and its stage", async () => {
    const product = "wait-deps";
    const dep = await submit(product, { title: "dep" });
    const job = await submit(product, { title: "after", deps: [dep.id] });
    expect(job.stage).toBe("blocked");
    const r = await reasonOf(product, job.id);
    expect(r?.code).toBe("deps_unmet");
    expect(r?.detail).toMatchObject({ deps: [{ id: dep.id, stage: "queued" }], waitingOn: [dep.id] });
  });

  it("serial_key_held names the job holding the key", async () => {
    const product = "wait-serial";
    const f = await liveHttpFactory(product, "two-seats", [], 2);
    const holder = await submit(product, { title: "migrate", serialKey: "db" });
    expect((await claim(product, f.token)).status).toBe(200);
    const job = await submit(product, { title: "migrate again", serialKey: "db" });
    const r = await reasonOf(product, job.id);
    expect(r?.code).toBe("serial_key_held");
    expect(r?.detail).toMatchObject({ serialKey: "db", holder: holder.id });
  });

  it("serial_key_frozen names the key while an operator holds it frozen, and clears on unfreeze", async () => {
    const product = "wait-frozen";
    await liveHttpFactory(product, "box");
    const job = await submit(product, { title: "deploy", serialKey: "prod" });
    const frozen = await api("POST", `${P(product)}/serial/prod/freeze`, {
      token: ADMIN,
      json: { reason: "incident" },
    });
    expect(frozen.status).toBe(200);
    const r = await reasonOf(product, job.id);
    expect(r?.code).toBe("serial_key_frozen");
    expect(r?.detail).toMatchObject({ serialKey: "prod" });
    await api("POST", `${P(product)}/serial/prod/unfreeze`, { token: ADMIN, json: {} });
    expect((await reasonOf(product, job.id))?.code).not.toBe("serial_key_frozen");
  });

  it("retry_backoff says until when after a transient failure", async () => {
    const product = "wait-retry";
    const f = await liveHttpFactory(product, "box");
    const job = await submit(product, { title: "flaky" });
    const claimed = await claim(product, f.token);
    const epoch = claimed.body.lease.leaseEpoch;
    const failed = await api<JobView>("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: f.token,
      json: { leaseEpoch: epoch, stage: "failed", result: { outcome: "failure", message: "flake" } },
    });
    expect(failed.body.stage).toBe("queued");
    const r = await reasonOf(product, job.id);
    expect(r?.code).toBe("retry_backoff");
    expect(r?.detail.until).toBe(failed.body.notBefore);
  });

  it("review_pending counts approvals of N and names who approved", async () => {
    const product = "wait-review";
    const f = await liveHttpFactory(product, "box");
    const job = await submit(product, { title: "r", reviewers: 2 });
    await claim(product, f.token);
    const path = `${P(product)}/jobs/${job.id}`;
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, stage: "building" } });
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, stage: "review" } });
    expect((await reasonOf(product, job.id))?.detail).toMatchObject({ required: 2, approvals: 0 });
    // A name in the body is a label only: the approval is the admin principal's (core/review).
    await api("POST", `${path}/actions/approve`, { token: ADMIN, json: { reviewer: "ann" } });
    const r = await reasonOf(product, job.id);
    expect(r?.code).toBe("review_pending");
    expect(r?.detail).toMatchObject({ required: 2, approvals: 1, approvedBy: [{ reviewer: "admin" }] });
  });

  it("excluded names the factory and until when after it released the job", async () => {
    const product = "wait-excluded";
    const f = await liveHttpFactory(product, "box");
    const job = await submit(product, { title: "t" });
    const claimed = await claim(product, f.token);
    await api("POST", `${P(product)}/jobs/${job.id}/lease/release`, {
      token: f.token,
      json: { leaseEpoch: claimed.body.lease.leaseEpoch },
    });
    const r = await reasonOf(product, job.id);
    expect(r?.code).toBe("excluded");
    expect(r?.detail).toMatchObject({ factories: [{ id: f.factoryId, kind: "released" }] });
    // Not "after a lost lease"; and the step that ends the wait sooner (core/waiting-excluded).
    expect(r?.message).toMatch(
      new RegExp(`^kept from box until .*: it handed the job back — .*\`gigafactory requeue ${job.id}\``),
    );
    expect(r?.detail.until).toBeGreaterThan(Date.now() - 1000);
  });

  it("the OpenAPI document describes the waiting reason", async () => {
    const doc = await api<{ components: { schemas: Record<string, { properties: Record<string, unknown> }> } }>(
      "GET",
      "/api/v1/openapi.json",
    );
    expect(Object.keys(doc.body.components.schemas.WaitingReason!.properties).sort()).toEqual([
      "code",
      "detail",
      "fix",
      "message",
      "since",
    ]);
  });

  it("a job failed by a dead dependency stops calling it dead once an operator requeued it", async () => {
    const product = "wait-dep-requeued";
    const f = await liveHttpFactory(product, "f");
    const a = await submit(product, { title: "A", maxAttempts: 1 });
    const dependent = await submit(product, { title: "B", deps: [a.id] });
    const c = await claim(product, f.token);
    const failure = { outcome: "failure", message: "boom" };
    const path = `${P(product)}/jobs/${a.id}`;
    await api("PATCH", path, {
      token: f.token,
      json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "failed", result: failure },
    });
    expect(await reasonOf(product, dependent.id)).toMatchObject({ code: "dependency_failed", detail: { depId: a.id } });
    expect((await api("POST", `${path}/actions/requeue`, { token: ADMIN })).status).toBe(200);
    // Its message is history ("dependency_failed: A is dead_letter"); A is queued now: requeuing B is the step.
    const r = await reasonOf(product, dependent.id);
    expect(r).toMatchObject({ code: "needs_operator", detail: { deps: [{ id: a.id, stage: "queued" }] } });
    const tree = await api<{ root: { waitingReason: WaitingReason } }>(
      "GET",
      `${P(product)}/jobs/${dependent.id}/tree`,
      {
        token: ADMIN,
      },
    );
    expect(tree.body.root.waitingReason.code).toBe("needs_operator");
    expect((await api("POST", `${P(product)}/jobs/${dependent.id}/actions/requeue`, { token: ADMIN })).status).toBe(
      200,
    );
  });

  it("a terminal job has no reason", async () => {
    const product = "wait-terminal";
    const job = await submit(product, { title: "t" });
    await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} });
    expect(await reasonOf(product, job.id)).toBeNull();
  });
});
