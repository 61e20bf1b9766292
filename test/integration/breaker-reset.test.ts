// An operator's breaker reset in workerd (POST …/factories/{f}/breakers/{engine}/reset): a viewer may not (403), an
// unknown factory is 404, a bad engine name 400, an engine the factory never declared and has no breaker for 404
// `unknown_engine` naming its engines (a typo is not "already closed"), and a breaker already closed with no failures
// (a declared engine's, the default's) is 200 `changed: false` with nothing audited; an open breaker under `overflow: hold` is closed at once — its breaker_open alert
// resolved, `breaker.reset` audited with the operator as actor and the state it had — and the held job is pushed to
// the factory's socket by the pass the reset's own unit asks for; and a half-open trial out at the reset (threshold
// 1, the default engine `*`) that fails afterwards does not re-open the breaker nor count against the factory's error
// budget (it would quarantine it): the next job still goes there. So do the other runs granted before the reset
// (seats busy under the same broken login): stale, they count nowhere; a run granted after it counts again.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, type JobView, mintToken, P, submit } from "./client";
import { auditDelivered } from "./history-wait.ts";
import { connectFactory } from "./sockets";

type BreakerJson = { engine: string; state: string; consecutiveFailures: number; openUntil?: number };
type ResetJson = BreakerJson & { factoryId: string; changed: boolean };
type AlertJson = { kind: string; subject: string; state: string };

const CLAUDE = ["engine:claude"];

const report = (product: string, token: string, jobId: string, epoch: number, json: Record<string, unknown>) =>
  api<JobView>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json: { leaseEpoch: epoch, ...json } });

/** `f` claims and fails `n` new jobs of `engine` (null: none named), each a permanent failure. */
async function failJobs(product: string, token: string, n: number, engine: string | null = "claude") {
  for (let i = 0; i < n; i++) {
    const job = await submit(product, { title: `doomed ${i}`, ...(engine ? { engine } : {}) });
    const c = await claim(product, token);
    expect(c.body.job.id).toBe(job.id);
    const failed = { stage: "failed", result: { outcome: "failure", rc: 1, retryable: false } };
    expect((await report(product, token, job.id, c.body.lease.leaseEpoch, failed)).status).toBe(200);
  }
}

async function breakersOf(product: string, factoryId: string): Promise<BreakerJson[]> {
  const r = await api<{ breakers: BreakerJson[] }>("GET", `${P(product)}/factories/${factoryId}`, { token: ADMIN });
  return r.body.breakers;
}

const reset = (product: string, factoryId: string, engine: string, token = ADMIN) =>
  api<ResetJson>("POST", `${P(product)}/factories/${factoryId}/breakers/${engine}/reset`, { token });

/** The cool-down is over: the stored open-until is set back (time as a parameter, no sleeping). */
async function coolDownOver(product: string, factoryId: string): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec("UPDATE breakers SET open_until = ? WHERE factory_id = ?", Date.now() - 1, factoryId);
  });
}

describe("breaker reset", () => {
  it("viewer 403, unknown factory 404, bad engine 400; a closed clean breaker is changed: false, nothing audited", async () => {
    const product = "breaker-reset-refusals";
    const f = await enroll(product, "f1", CLAUDE);
    const viewer = (await mintToken(product, "viewer")).token;
    expect((await reset(product, f.factoryId, "claude", viewer)).status).toBe(403);
    const missing = await reset(product, "nope", "claude");
    expect([missing.status, (missing.body as unknown as { code: string }).code]).toEqual([404, "not_found"]);
    const bad = await reset(product, f.factoryId, "Not%20An%20Engine");
    expect(bad.status).toBe(400);
    const clean = await reset(product, f.factoryId, "claude");
    expect([clean.status, clean.body]).toEqual([
      200,
      { factoryId: f.factoryId, engine: "claude", state: "closed", consecutiveFailures: 0, changed: false },
    ]);
    const resets = (await auditDelivered(product)).filter((a) => a.action === "breaker.reset");
    expect(resets).toEqual([]);
  });

  it("an engine the factory never declared and has no breaker for: 404 unknown_engine naming its engines", async () => {
    const product = "breaker-reset-unknown-engine";
    const f = await enroll(product, "f1", CLAUDE);
    const typo = await reset(product, f.factoryId, "claud");
    const problem = typo.body as unknown as { code: string; detail: string; engines: string[] };
    expect([typo.status, problem.code, problem.engines]).toEqual([404, "unknown_engine", ["*", "claude"]]);
    expect(problem.detail).toContain('"claud"');
    expect(problem.detail).toContain("*, claude");
    // A declared engine with no breaker, and the default engine, are closed already: 200 changed: false.
    expect((await reset(product, f.factoryId, "claude")).body.changed).toBe(false);
    expect((await reset(product, f.factoryId, "*")).body.changed).toBe(false);
    // An engine it no longer declares but whose breaker it still has (declared once, then dropped) stays resettable.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec(
        "INSERT INTO breakers(factory_id, engine, consecutive_failures, open_until, cool_down_s) VALUES (?, 'codex', 5, ?, 60)",
        f.factoryId,
        Date.now() + 60_000,
      );
    });
    const dropped = await reset(product, f.factoryId, "codex");
    expect([dropped.status, dropped.body.changed]).toEqual([200, true]);
    const resets = (await auditDelivered(product)).filter((a) => a.action === "breaker.reset");
    expect(resets.map((a) => a.target)).toEqual([`breaker:${f.factoryId}:codex`]);
  });

  it("an open breaker under hold: closed at once, alert resolved, audited, and the held job pushed to it", async () => {
    const product = "breaker-reset-held";
    const hold = { overflow: "hold" };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: hold })).status).toBe(200);
    const f1 = await enroll(product, "f1", CLAUDE);
    await failJobs(product, f1.token, 5);
    expect((await breakersOf(product, f1.factoryId))[0]).toMatchObject({ state: "open", consecutiveFailures: 5 });
    const { socket } = await connectFactory(product, f1.token, { capabilities: CLAUDE });
    const held = await submit(product, { title: "held", engine: "claude" });
    const waiting = await api<{ waitingReason: { code: string } | null }>("GET", `${P(product)}/jobs/${held.id}`, {
      token: ADMIN,
    });
    expect(waiting.body.waitingReason?.code).toBe("breaker_open");
    expect(socket.frames.filter((fr) => fr.type === "assign")).toEqual([]);

    const operator = (await mintToken(product, "operator", "on-call")).token;
    const r = await reset(product, f1.factoryId, "claude", operator);
    expect([r.status, r.body]).toEqual([
      200,
      { factoryId: f1.factoryId, engine: "claude", state: "closed", consecutiveFailures: 0, changed: true },
    ]);
    const assign = await socket.next<{ assignments: Array<{ job: { id: string } }> }>("assign");
    expect(assign.assignments[0]?.job.id).toBe(held.id);
    expect(await breakersOf(product, f1.factoryId)).toEqual([]);
    const alerts = await api<{ alerts: AlertJson[] }>("GET", `${P(product)}/alerts`, { token: ADMIN });
    const alert = alerts.body.alerts.find((a) => a.subject === `breaker:${f1.factoryId}:claude`);
    expect(alert?.state).toBe("resolved");
    // A second reset finds it closed: the state asked for holds — 200, nothing more audited.
    expect((await reset(product, f1.factoryId, "claude", operator)).body.changed).toBe(false);
    const resets = (await auditDelivered(product)).filter((a) => a.action === "breaker.reset");
    expect(resets).toHaveLength(1);
    expect(resets[0]).toMatchObject({
      target: `breaker:${f1.factoryId}:claude`,
      detail: { from: "open", consecutiveFailures: 5, coolDownSeconds: 60 },
    });
    expect(resets[0]?.actor).not.toBe("system");
    socket.close();
  });

  it("a half-open trial out at the reset that fails later neither re-opens it nor quarantines (threshold 1, *)", async () => {
    const product = "breaker-reset-late-trial";
    // An error budget of one failure: the trip's failure fills it, so a counted trial failure would quarantine f1.
    const one = { breaker: { failureThreshold: 1 }, errorBudget: { windowMinutes: 60, maxFailures: 1 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: one })).status).toBe(200);
    const f1 = await enroll(product, "f1", [], 2);
    await failJobs(product, f1.token, 1, null);
    await coolDownOver(product, f1.factoryId);
    expect((await breakersOf(product, f1.factoryId))[0]).toMatchObject({ engine: "*", state: "half_open" });
    const trialJob = await submit(product, { title: "the trial" });
    const trial = await claim(product, f1.token);
    expect(trial.body.job.id).toBe(trialJob.id);

    const r = await reset(product, f1.factoryId, "*");
    expect(r.body).toMatchObject({ engine: "*", state: "closed", changed: true });
    // Its row stays for the overridden trial's ref only: closed and clean, so no list shows it.
    expect(await breakersOf(product, f1.factoryId)).toEqual([]);
    const failed = { stage: "failed", result: { outcome: "failure", rc: 1, retryable: false } };
    expect((await report(product, f1.token, trialJob.id, trial.body.lease.leaseEpoch, failed)).status).toBe(200);
    expect(await breakersOf(product, f1.factoryId)).toEqual([]);
    const fleet = await api<{ status: string }>("GET", `${P(product)}/factories/${f1.factoryId}`, { token: ADMIN });
    expect(fleet.body.status).toBe("active"); // nor did it count against the factory's error budget
    const next = await submit(product, { title: "after the reset" });
    expect((await claim(product, f1.token)).body.job.id).toBe(next.id);
  });

  it("runs granted before the reset that fail after it neither re-trip it nor quarantine; a later run counts", async () => {
    const product = "breaker-reset-busy-seats";
    const one = { breaker: { failureThreshold: 1 }, errorBudget: { windowMinutes: 60, maxFailures: 1 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: one })).status).toBe(200);
    const f1 = await enroll(product, "f1", [], 3);
    // Two seats busy under what will prove an expired login, then a third run's failure opens the breaker.
    const busy = [];
    for (const title of ["busy a", "busy b"]) {
      const job = await submit(product, { title });
      const c = await claim(product, f1.token);
      expect(c.body.job.id).toBe(job.id);
      busy.push({ id: job.id, epoch: c.body.lease.leaseEpoch });
    }
    await failJobs(product, f1.token, 1, null);
    expect((await breakersOf(product, f1.factoryId))[0]).toMatchObject({ engine: "*", state: "open" });
    // Granted well before the reset (time as a parameter): a grant in the reset's own ms would count.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec("UPDATE runs SET started_at = started_at - 1000 WHERE ended_at IS NULL");
    });
    expect((await reset(product, f1.factoryId, "*")).body.changed).toBe(true);

    const failed = { stage: "failed", result: { outcome: "failure", rc: 1, retryable: false } };
    for (const b of busy) {
      expect((await report(product, f1.token, b.id, b.epoch, failed)).status).toBe(200);
      expect(await breakersOf(product, f1.factoryId)).toEqual([]); // counted, the first would re-open it
    }
    const status = await api<{ status: string }>("GET", `${P(product)}/factories/${f1.factoryId}`, { token: ADMIN });
    expect(status.body.status).toBe("active"); // nor did they fill its error budget
    const rows = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      state.storage.sql.exec("SELECT reset_at FROM breakers").toArray(),
    );
    expect(rows).toEqual([]); // the last of them ended: the reset's instant is kept no longer
    // A run granted after the reset is evidence about the engine as it is: its failure trips it (threshold 1).
    await failJobs(product, f1.token, 1, null);
    expect((await breakersOf(product, f1.factoryId))[0]).toMatchObject({ engine: "*", state: "open" });
  });
});
