// A product routing rule's change that would leave the routing meaningless is refused (workerd; found by a reviewer):
// removing a rule is checked as adding one is — taking away the product's `avoid F` for one engine, which alone told a
// running experiment's arm A (prefer F) from arm B (nothing), would have it compare a policy with itself (rules add up
// clamped), so it is a 409 conflict problem naming the experiment that removes and audits nothing, until the
// experiment is stopped, while a removal that leaves the arms apart still goes; and a rule whose exact opposite is in
// force (prefer F where an avoid of F for the same engine and class is) is a 409 conflict naming that rule, storing
// nothing — the two would add up to 0, a rule shown in force that does nothing — while the opposite at another engine
// or class, which changes routing there, is added.
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P } from "./client.ts";
import { auditDelivered } from "./history-wait.ts";

type Problem = { status: number; code: string; detail: string; ruleId?: string; experimentId?: string };
type Rule = { id: string; effect: string; engine?: string };

const guardrail = { metric: "success_rate", margin: 0.1, confidence: 0.9 };

async function rulesOf(product: string): Promise<Rule[]> {
  return (await api<{ rules: Rule[] }>("GET", `${P(product)}/routing/rules`, { token: ADMIN })).body.rules;
}

async function addRule(product: string, rule: Record<string, unknown>) {
  return api<Rule & Problem>("POST", `${P(product)}/routing/rules`, { token: ADMIN, json: { reason: "r", ...rule } });
}

describe("routing rule changes that would leave routing meaningless", () => {
  it("refuses removing the rule that alone tells a running experiment's arms apart, until it is stopped", async () => {
    const product = "rule-removal-arms";
    const f = await enroll(product, "go-box", ["lang:go"]);
    const preferAll = await addRule(product, { factoryId: f.factoryId, effect: "prefer" });
    const avoidCodex = await addRule(product, { factoryId: f.factoryId, engine: "codex", effect: "avoid" });
    expect([preferAll.status, avoidCodex.status]).toEqual([201, 201]);
    // For codex jobs the product's rules sum to 0: arm A's prefer makes +2 there, arm B stays 0 — they differ.
    const arms = { A: { rules: [{ factoryId: f.factoryId, effect: "prefer" }] }, B: {} };
    const url = `${P(product)}/routing/experiments`;
    const started = await api<{ id: string }>("POST", url, {
      token: ADMIN,
      json: { jobClass: "lang:go", arms, guardrail },
    });
    expect(started.status).toBe(201);

    // Without the avoid both arms give F +2 for every engine: an A/B of a policy with itself.
    const refused = await api<Problem>("DELETE", `${P(product)}/routing/rules/${avoidCodex.body.id}`, { token: ADMIN });
    expect([refused.status, refused.body.code]).toEqual([409, "conflict"]);
    expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(refused.body.detail).toContain(`running experiment ${started.body.id}`);
    expect(refused.body.experimentId).toBe(started.body.id);
    expect((await rulesOf(product)).map((r) => r.id)).toEqual([preferAll.body.id, avoidCodex.body.id]);

    // A removal that leaves the arms apart still goes: with the avoid alone, codex jobs give F 0 in A and −2 in B.
    const other = await api("DELETE", `${P(product)}/routing/rules/${preferAll.body.id}`, { token: ADMIN });
    expect(other.status).toBe(200);
    expect((await api("POST", `${url}/${started.body.id}/stop`, { token: ADMIN })).status).toBe(200);
    expect((await api("DELETE", `${P(product)}/routing/rules/${avoidCodex.body.id}`, { token: ADMIN })).status).toBe(
      200,
    );
    expect(await rulesOf(product)).toEqual([]);
    // Audited are the two removals that went, not the refused: read once all the coordinator wrote is in D1
    // (history-wait `auditDelivered`), so a refused one audited would be there.
    const audit = await auditDelivered(product);
    const removals = audit.filter((a) => a.action === "routing.rule.remove").map((a) => a.target);
    expect(removals.sort()).toEqual([preferAll.body.id, avoidCodex.body.id].sort());
  });

  it("refuses a rule whose exact opposite is in force, naming it; the opposite at another scope is added", async () => {
    const product = "rule-opposite";
    const f = await enroll(product, "go-box", ["lang:go"]);
    const avoid = await addRule(product, {
      factoryId: f.factoryId,
      engine: "codex",
      jobClass: "lang:go",
      effect: "avoid",
    });
    expect(avoid.status).toBe(201);
    for (const jobClass of ["lang:go", "lang:go,lang:go"]) {
      const prefer = await addRule(product, { factoryId: f.factoryId, engine: "codex", jobClass, effect: "prefer" });
      expect([prefer.status, prefer.body.code, prefer.body.ruleId]).toEqual([409, "conflict", avoid.body.id]);
      expect(prefer.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(prefer.body.detail).toContain(`rule ${avoid.body.id} avoids ${f.factoryId}`);
      expect(prefer.body.detail).toContain("cancel out");
    }
    expect((await rulesOf(product)).map((r) => r.id)).toEqual([avoid.body.id]);
    // Another engine, every engine, another class: each changes what the avoid does not reach, so each is kept.
    for (const scope of [{ engine: "claude", jobClass: "lang:go" }, { jobClass: "lang:go" }, { engine: "codex" }]) {
      const r = await addRule(product, { factoryId: f.factoryId, ...scope, effect: "prefer" });
      expect(r.status).toBe(201);
    }
    expect(await rulesOf(product)).toHaveLength(4);
  });
});
