// Operator actions that find nothing to do say so (found by a reviewer: each printed ✔ as if it had acted): budget
// pause / resume, serial freeze / unfreeze, factory approve, experiment stop and lesson archive answer 200 with `changed: false` (a retried
// request never fails), write nothing and audit nothing — a resume with nothing paused, an unfreeze of a key never
// frozen, a second freeze for the same reason (its first time kept), an approve with nothing pending or the same limit, a second stop (its first decision kept), a second archive (its first `updatedAt` kept); the same
// actions that do act answer `changed: true`. Audits are checked once the coordinator's outbox has handed every
// entry to the history queue and a token minted after has arrived (history-wait `auditDelivered`), so a no-op's
// missing record is not merely late.
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P, until } from "./client.ts";
import { auditDelivered } from "./history-wait.ts";

/**
 * The product's audit actions once all it wrote has landed (history-wait `auditDelivered`), `last` (the case's last
 * audited action) there `times` times: a later arrival of a record is not taken for its absence.
 */
async function auditAfter(product: string, last: string, times = 1): Promise<string[]> {
  const actions = (await auditDelivered(product)).map((i) => i.action);
  expect(count(actions, last)).toBe(times);
  return actions;
}
const count = (actions: string[], action: string) => actions.filter((a) => a === action).length;

describe("no-op actions answer changed: false and write nothing", () => {
  it("budget: resume with nothing paused, pause twice", async () => {
    const product = "noop-budget";
    const url = `${P(product)}/budget`;
    const set = () =>
      api("PUT", url, { token: ADMIN, json: { period: "month", ceilingUsd: 10, onExhausted: "pause" } });
    expect((await set()).status).toBe(200);
    const act = (verb: string) => api<Record<string, unknown>>("POST", `${url}/${verb}`, { token: ADMIN });
    const idle = await act("resume");
    expect(idle.status).toBe(200);
    expect(idle.body).toMatchObject({ changed: false, state: "ok" });
    expect(idle.body.pausedBy).toBeUndefined();
    expect((await act("pause")).body).toMatchObject({ changed: true, state: "paused", pausedBy: "operator" });
    expect((await act("pause")).body).toMatchObject({ changed: false, state: "paused", pausedBy: "operator" });
    expect((await act("resume")).body).toMatchObject({ changed: true, state: "ok" });
    expect((await set()).status).toBe(200); // the sentinel: a second budget.set, audited after all the above
    const actions = await auditAfter(product, "budget.set", 2);
    expect([count(actions, "budget.pause"), count(actions, "budget.resume")]).toEqual([1, 1]);
  });

  it("serial: unfreeze of a key never frozen, and of one unfrozen already; a second freeze for the same reason", async () => {
    const product = "noop-serial";
    const path = (key: string, verb: string) => `${P(product)}/serial/${encodeURIComponent(key)}/${verb}`;
    const never = await api("POST", path("never/frozen", "unfreeze"), { token: ADMIN, json: {} });
    expect(never.status).toBe(200);
    expect(never.body).toMatchObject({ key: "never/frozen", frozen: null, changed: false });
    const first = await api<{ frozen: { at: number }; changed: boolean }>("POST", path("repo/main", "freeze"), {
      token: ADMIN,
      json: { reason: "release" },
    });
    expect(first.body.changed).toBe(true);
    const again = await api("POST", path("repo/main", "freeze"), { token: ADMIN, json: { reason: "release" } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ frozen: { reason: "release", at: first.body.frozen.at }, changed: false });
    const reworded = await api("POST", path("repo/main", "freeze"), { token: ADMIN, json: { reason: "release 2" } });
    expect(reworded.body).toMatchObject({ frozen: { reason: "release 2" }, changed: true });
    const done = await api("POST", path("repo/main", "unfreeze"), { token: ADMIN, json: {} });
    expect(done.body).toMatchObject({ frozen: null, changed: true });
    expect((await api("POST", path("repo/main", "unfreeze"), { token: ADMIN, json: {} })).body).toMatchObject({
      changed: false,
    });
    await api("POST", path("sentinel", "freeze"), { token: ADMIN, json: { reason: "last" } });
    const actions = await auditAfter(product, "serial.freeze", 3);
    expect([count(actions, "serial.freeze"), count(actions, "serial.unfreeze")]).toEqual([3, 1]);
  });

  it("factory approve: nothing pending, or the seat limit it has already", async () => {
    const product = "noop-approve";
    const { factoryId } = await enroll(product, "f1", ["lang:ts"], 4);
    const approve = (json: Record<string, unknown>) =>
      api<Record<string, unknown>>("POST", `${P(product)}/factories/${factoryId}/capabilities/approve`, {
        token: ADMIN,
        json,
      });
    const idle = await approve({});
    expect(idle.status).toBe(200);
    expect(idle.body).toMatchObject({ id: factoryId, changed: false });
    expect((await approve({ seatLimit: 2 })).body).toMatchObject({ seatLimit: 2, changed: true });
    expect((await approve({ seatLimit: 2 })).body).toMatchObject({ seatLimit: 2, changed: false });
    expect((await approve({ seatLimit: 3 })).body).toMatchObject({ seatLimit: 3, changed: true }); // the sentinel
    const actions = await auditAfter(product, "factory.grant.approve", 2);
    expect(count(actions, "factory.grant.approve")).toBe(2);
  });

  it("experiment: a second stop keeps the first stop's decision", async () => {
    const product = "noop-experiment";
    const url = `${P(product)}/routing/experiments`;
    const json = {
      jobClass: "lang:go",
      arms: { A: {}, B: { weights: { load: 2 } } },
      guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.9 },
    };
    const started = await api<{ id: string }>("POST", url, { token: ADMIN, json });
    expect(started.status).toBe(201);
    const stop = () => api<Record<string, unknown>>("POST", `${url}/${started.body.id}/stop`, { token: ADMIN });
    const first = await stop();
    expect(first.body).toMatchObject({ status: "stopped", changed: true });
    const second = await stop();
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ ...first.body, changed: false });
  });

  it("lesson: a second archive keeps the first archive's time and is not audited", async () => {
    const product = "noop-lesson";
    const made = await api<{ id: string }>("POST", `${P(product)}/lessons`, { token: ADMIN, json: { text: "x" } });
    const url = `${P(product)}/lessons/${made.body.id}`;
    type Edited = { updatedAt: number; archived?: boolean; changed?: boolean };
    const archive = () => api<Edited>("PATCH", url, { token: ADMIN, json: { archived: true } });
    const first = await archive();
    expect(first.body).toMatchObject({ archived: true, changed: true });
    // Let the clock pass the first archive (workerd's moves with I/O), so a rewrite would show a later time.
    await until(
      () => api("GET", `${P(product)}/lessons`, { token: ADMIN }),
      () => Date.now() > first.body.updatedAt,
      { what: "workerd's clock past the first archive's updatedAt" },
    );
    const second = await archive();
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ archived: true, changed: false, updatedAt: first.body.updatedAt });
    expect((await api<Edited>("PATCH", url, { token: ADMIN, json: { text: "y" } })).body.changed).toBe(true);
    await api("POST", `${P(product)}/lessons`, { token: ADMIN, json: { text: "sentinel" } });
    const actions = await auditAfter(product, "lesson.create", 2);
    expect([count(actions, "lesson.archive"), count(actions, "lesson.update")]).toEqual([1, 1]);
  });
});
