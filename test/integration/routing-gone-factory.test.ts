// Learned routing when a factory it names never runs again (workerd): a routing rule or an experiment arm naming a
// revoked factory is a 409 conflict problem that stores nothing (it would apply to nothing — an arm preferring it is
// the other arm in disguise). Deregistering or revoking a factory stops, audited `routing.experiment.stop` by the
// operator with the reason, every running experiment one of whose arms names it and every concluded one whose
// winning arm does (its guardrail's decision kept), removes the rules naming it, and leaves the other experiments as
// they were (a concluded one whose losing arm named it still routes by its winner); the factory's audit entry counts
// both. (Before, such an experiment ran on: its two arms routing alike, which the guardrail would rarely end.)
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P } from "./client.ts";
import { auditDelivered } from "./history-wait.ts";

type View = { id: string; status: string; decision: { by: string; reason: string; winner?: string } | null };
type Problem = { status: number; code: string; detail: string };

const guardrail = { metric: "success_rate", margin: 0.1, confidence: 0.9 };
const prefer = (factoryId: string) => ({ rules: [{ factoryId, effect: "prefer" }] });

/** Concludes experiment `id` with `winner` as its guardrail would (a real conclusion takes dozens of runs). */
async function conclude(product: string, id: string, winner: "A" | "B"): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    const row = state.storage.sql.exec<{ doc: string }>("SELECT doc FROM experiments WHERE id = ?", id).one();
    const decision = { at: Date.now(), by: "guardrail", winner, loser: winner === "A" ? "B" : "A", reason: "test" };
    const doc = JSON.stringify({ ...JSON.parse(row.doc), status: "concluded", decision });
    state.storage.sql.exec("UPDATE experiments SET status = 'concluded', doc = ? WHERE id = ?", doc, id);
  });
}

describe("learned routing and a factory that never runs again", () => {
  it("refuses a rule or an experiment arm naming a revoked factory with a 409 problem, storing nothing", async () => {
    const product = "routing-gone-refused";
    const f = await enroll(product, "revoked-box", ["lang:go"]);
    expect((await api("POST", `${P(product)}/factories/${f.factoryId}/token/revoke`, { token: ADMIN })).status).toBe(
      200,
    );
    const start = await api<Problem>("POST", `${P(product)}/routing/experiments`, {
      token: ADMIN,
      json: { jobClass: "lang:go", arms: { A: {}, B: prefer(f.factoryId) }, guardrail },
    });
    const rule = await api<Problem>("POST", `${P(product)}/routing/rules`, {
      token: ADMIN,
      json: { factoryId: f.factoryId, effect: "prefer", reason: "fast" },
    });
    for (const r of [start, rule]) {
      expect([r.status, r.body.code]).toEqual([409, "conflict"]);
      expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(r.body.detail).toMatch(new RegExp(`factory ${f.factoryId} is revoked`));
    }
    const listed = await api<{ experiments: View[] }>("GET", `${P(product)}/routing/experiments`, { token: ADMIN });
    expect(listed.body.experiments).toEqual([]);
    expect(
      (await api<{ rules: unknown[] }>("GET", `${P(product)}/routing/rules`, { token: ADMIN })).body.rules,
    ).toEqual([]);
  });

  it.each([
    ["deregistered", "DELETE", ""],
    ["revoked", "POST", "/token/revoke"],
  ])("stops the experiments it changes when %s, audited, and leaves the others running", async (how, method, tail) => {
    const product = `routing-gone-${how}`;
    const url = `${P(product)}/routing/experiments`;
    const gone = await enroll(product, "gone", ["lang:go"]);
    const kept = await enroll(product, "kept", ["lang:go"]);
    const start = async (jobClass: string, arms: unknown) => {
      const r = await api<View>("POST", url, { token: ADMIN, json: { jobClass, arms, guardrail } });
      expect(r.status).toBe(201);
      return r.body.id;
    };
    const naming = await start("lang:go", { A: prefer(kept.factoryId), B: prefer(gone.factoryId) });
    const other = await start("lang:rust", { A: {}, B: prefer(kept.factoryId) });
    // Concluded: one whose winning arm names it (its policy routes the class), one whose losing arm does.
    const wonByIt = await start("lang:c", { A: {}, B: prefer(gone.factoryId) });
    const lostByIt = await start("lang:py", { A: {}, B: prefer(gone.factoryId) });
    await conclude(product, wonByIt, "B");
    await conclude(product, lostByIt, "A");
    const rule = await api<{ id: string }>("POST", `${P(product)}/routing/rules`, {
      token: ADMIN,
      json: { factoryId: gone.factoryId, effect: "avoid", reason: "slow" },
    });
    expect(rule.status).toBe(201);

    expect((await api(method, `${P(product)}/factories/${gone.factoryId}${tail}`, { token: ADMIN })).status).toBe(200);

    const view = async (id: string) => (await api<View>("GET", `${url}/${id}`, { token: ADMIN })).body;
    expect(await view(naming)).toMatchObject({
      status: "stopped",
      decision: { by: "operator", reason: `factory ${gone.factoryId} ${how}: an arm's rule named it` },
    });
    expect((await view(other)).status).toBe("running");
    expect(await view(wonByIt)).toMatchObject({ status: "stopped", decision: { by: "guardrail", winner: "B" } });
    expect((await view(lostByIt)).status).toBe("concluded");
    expect(
      (await api<{ rules: unknown[] }>("GET", `${P(product)}/routing/rules`, { token: ADMIN })).body.rules,
    ).toEqual([]);
    // The class is free again: a new experiment on it starts.
    expect(await start("lang:go", { A: {}, B: prefer(kept.factoryId) })).toMatch(/^ex_/);

    // Exactly these two stops: read once all the coordinator wrote is in D1 (history-wait `auditDelivered`) — waiting
    // for two missed a third landing later.
    const audit = await auditDelivered(product);
    const stops = audit.filter((a) => a.action === "routing.experiment.stop");
    expect(stops.map((a) => a.target).sort()).toEqual([naming, wonByIt].sort());
    const why = `factory ${gone.factoryId} ${how}: an arm's rule named it`;
    expect(stops.find((a) => a.target === wonByIt)?.detail).toMatchObject({ was: "concluded", why });
    const action = how === "deregistered" ? "factory.deregister" : "factory.token.revoke";
    expect(audit.find((a) => a.action === action)?.detail).toMatchObject({
      rulesRemoved: 1,
      experimentsStopped: 2,
    });
  });
});
