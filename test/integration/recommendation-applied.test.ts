// A recommendation is applied by any rule in force that does what it proposes (workerd; found by a reviewer): a host
// that both fails a class more often and costs more than the others gets two findings that propose one rule (avoid it
// for that engine and class). Once one is applied, the other reads `appliedAs` that rule too — before, it read null,
// so `routing apply` and the dashboard's Apply offered it and the server refused the twin rule 409 — and so does a
// finding whose rule an operator added by hand; a rule naming the finding that does something else still does not.
// The findings' messages name the host by its name, not its id.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P } from "./client.ts";

type Rec = {
  id: string;
  kind: string;
  message: string;
  factoryId: string;
  appliedAs: string | null;
  rule: Record<string, unknown>;
};

/** A track record of `n` runs ended now, `failures` of them failed, each reporting `costUsd`. */
function record(n: number, failures: number, costUsd: number, now: number) {
  const ewm = (mean: number) => ({ w: n, mean, m2: 0 });
  return { successes: n - failures, failures, n, durationMs: ewm(60_000), costUsd: ewm(costUsd), updatedAt: now };
}

async function recsOf(product: string): Promise<Rec[]> {
  const r = await api<{ recommendations: Rec[] }>("GET", `${P(product)}/routing/recommendations`, { token: ADMIN });
  expect(r.status).toBe(200);
  return r.body.recommendations;
}

describe("recommendations applied by the rule in force", () => {
  it("a host's failure and cost findings both read as applied by the one avoid rule, however it was added", async () => {
    const product = "recs-applied";
    const bad = await enroll(product, "bad", ["lang:go"]);
    const good = [await enroll(product, "good-1", ["lang:go"]), await enroll(product, "good-2", ["lang:go"])];
    const now = Date.now();
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const put = (factoryId: string, doc: unknown) =>
        state.storage.sql.exec(
          "INSERT INTO track_records(factory_id, engine, job_class, updated_at, doc) VALUES (?, '*', 'lang:go', ?, ?)",
          factoryId,
          now,
          JSON.stringify(doc),
        );
      put(bad.factoryId, record(20, 15, 1, now)); // fails 75 %, $1 a run
      for (const g of good) put(g.factoryId, record(20, 1, 0.1, now)); // fails 5 %, $0.10 a run
    });
    const found = (await recsOf(product)).filter((r) => r.factoryId === bad.factoryId);
    expect(found.map((r) => r.kind).sort()).toEqual(["cost", "failure_rate"]);
    // Its messages name the host as enrolled, not by its `fac_…` id (which stays the finding's `factoryId`).
    for (const r of found) expect(r.message).toMatch(/ on bad (fails|costs) /);
    for (const r of found) expect(r.message).not.toContain(bad.factoryId);
    expect(found[0]?.rule).toEqual({ ...found[1]?.rule, reason: found[0]?.rule.reason });
    const [first, second] = found as [Rec, Rec];

    // Applied by hand, naming no finding: it does what both propose.
    const byHand = await api<{ id: string }>("POST", `${P(product)}/routing/rules`, {
      token: ADMIN,
      json: { ...first.rule, reason: "by hand" },
    });
    expect(byHand.status).toBe(201);
    expect((await recsOf(product)).map((r) => [r.id, r.appliedAs])).toEqual(found.map((r) => [r.id, byHand.body.id]));
    expect((await api("DELETE", `${P(product)}/routing/rules/${byHand.body.id}`, { token: ADMIN })).status).toBe(200);

    // A rule naming the second finding that avoids another host applies neither.
    const unrelated = await api<{ id: string }>("POST", `${P(product)}/routing/rules`, {
      token: ADMIN,
      json: { factoryId: good[0]?.factoryId, effect: "avoid", reason: "other", fromRecommendation: second.id },
    });
    expect(unrelated.status).toBe(201);
    // The first applied: the second, proposing the same rule, reads it as applied too.
    const applied = await api<{ id: string }>("POST", `${P(product)}/routing/rules`, {
      token: ADMIN,
      json: { ...first.rule, fromRecommendation: first.id },
    });
    expect(applied.status).toBe(201);
    expect((await recsOf(product)).map((r) => [r.id, r.appliedAs])).toEqual(found.map((r) => [r.id, applied.body.id]));
  });
});
