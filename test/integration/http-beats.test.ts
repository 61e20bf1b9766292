// A factory's fenced HTTP calls are its heartbeat: a lease renewal, a report (PATCH) and a release over HTTP set its
// `lastHeartbeatAt` (and `polledAt`: it polls), as a claim and `POST /factories/heartbeat` do. A poller that renewed
// but had no free seat to claim for read `down` in the fleet and its runs' `lastHeartbeatAt` (a lease expiry's "the
// host went silent at T") named its last claim, minutes before. A refused call (stale epoch: 409) beats nothing. The
// released run closes `handed_back`, not `cancelled` (only an operator's cancel is one).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, P, submit } from "./client.ts";
import { expireLeaseNow, runExpiry } from "./state.ts";

type FleetFactory = { lastHeartbeatAt?: number; health: string; connected: boolean };

const SILENT_MS = 10 * 60_000; // far past 3 missed beats (core/health): `down`

/** The factory's beats set back `SILENT_MS`: it last beat (and polled) then. @returns that instant (ms) */
async function silence(product: string, factoryId: string): Promise<number> {
  const at = Date.now() - SILENT_MS;
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(
      "UPDATE factories SET doc = json_set(doc, '$.lastHeartbeatAt', ?1, '$.polledAt', ?1) WHERE id = ?2",
      at,
      factoryId,
    );
  });
  return at;
}

async function fleetView(product: string, factoryId: string): Promise<FleetFactory> {
  const r = await api<FleetFactory>("GET", `${P(product)}/factories/${factoryId}`, { token: ADMIN });
  expect(r.status).toBe(200);
  return r.body;
}

/** An HTTP poller holding a lease on a fresh job, its beats set back: silent since `silentAt`. */
async function silentHolder(product: string) {
  const f = await enroll(product, "poller");
  const job = await submit(product, { title: "long", maxAttempts: 3 });
  const c = await claim(product, f.token);
  expect(c.body.job.id).toBe(job.id);
  const silentAt = await silence(product, f.factoryId);
  expect(await fleetView(product, f.factoryId)).toMatchObject({ health: "down", lastHeartbeatAt: silentAt });
  return { f, job, epoch: c.body.lease.leaseEpoch as number, silentAt };
}

const renew = (product: string, token: string, jobId: string, leaseEpoch: number) =>
  api("POST", `${P(product)}/jobs/${jobId}/lease/renew`, { token, json: { leaseEpoch } });

describe("a factory's HTTP lease calls are its heartbeat", () => {
  it("a renewal beats: the fleet reads it up, and a later lease expiry's run names that beat", async () => {
    const product = "http-beat-renew";
    const { f, job, epoch } = await silentHolder(product);
    const before = Date.now();
    expect((await renew(product, f.token, job.id, epoch)).status).toBe(200);
    const seen = await fleetView(product, f.factoryId);
    expect(seen).toMatchObject({ health: "ok", connected: true });
    expect(seen.lastHeartbeatAt).toBeGreaterThanOrEqual(before);
    // The agent stops renewing: the run the expiry ends says when the host was last heard of — the renewal.
    await expireLeaseNow(product, job.id);
    await runExpiry(product, job.id);
    const runs = await api<{ runs: Array<{ lastHeartbeatAt?: number; result?: { outcome: string } }> }>(
      "GET",
      `${P(product)}/jobs/${job.id}/runs`,
      { token: ADMIN },
    );
    expect(runs.body.runs[0]).toMatchObject({ result: { outcome: "timeout" }, lastHeartbeatAt: seen.lastHeartbeatAt });
  });

  it("a refused renewal (a stale epoch) beats nothing", async () => {
    const product = "http-beat-fenced";
    const { f, job, epoch, silentAt } = await silentHolder(product);
    expect((await renew(product, f.token, job.id, epoch - 1)).status).toBe(409);
    expect(await fleetView(product, f.factoryId)).toMatchObject({ health: "down", lastHeartbeatAt: silentAt });
  });

  it("a report and a release beat too", async () => {
    const product = "http-beat-report";
    const { f, job, epoch } = await silentHolder(product);
    const before = Date.now();
    const patch = { leaseEpoch: epoch, stage: "building" };
    expect((await api("PATCH", `${P(product)}/jobs/${job.id}`, { token: f.token, json: patch })).status).toBe(200);
    expect((await fleetView(product, f.factoryId)).lastHeartbeatAt).toBeGreaterThanOrEqual(before);
    await silence(product, f.factoryId);
    const again = Date.now();
    const released = await api("POST", `${P(product)}/jobs/${job.id}/lease/release`, {
      token: f.token,
      json: { leaseEpoch: epoch },
    });
    expect(released.status).toBe(200);
    expect(await fleetView(product, f.factoryId)).toMatchObject({ health: "ok" });
    expect((await fleetView(product, f.factoryId)).lastHeartbeatAt).toBeGreaterThanOrEqual(again);
    // The released run reads as what it was — handed back by its factory — not as an operator's cancel.
    const runs = await api<{ runs: Array<{ result?: { outcome: string; message?: string } }> }>(
      "GET",
      `${P(product)}/jobs/${job.id}/runs`,
      { token: ADMIN },
    );
    expect(runs.body.runs[0]?.result).toEqual({ outcome: "handed_back", message: "released by factory" });
  });
});
