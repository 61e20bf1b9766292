// Resolved alerts are dropped 30 days after their resolution, and finding them costs a range read, not the whole
// history: the health pass's tidy statement (policies/health-check TIDY_ALERTS_SQL) reads alerts_by_state by state
// AND opened_at (EXPLAIN QUERY PLAN of the very statement) — on state alone it read every resolved alert's document
// each pass; a health pass (the coordinator's checkHealth) drops an alert resolved 31 days ago and keeps one resolved
// 29 days ago (opened long before) and a live one opened 40 days ago.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { TIDY_ALERTS_SQL } from "../../src/durable-objects/coordinator/policies/health-check.ts";
import { ADMIN, api, enroll, P } from "./client";
import { queryPlan } from "./state";

const DAY = 86_400_000;

/** One alert row as policies/alerts stores it, opened `openedAgo` ms ago and resolved `resolvedAgo` ms ago (or live). */
function insertAlert(sql: SqlStorage, id: string, openedAgo: number, resolvedAgo?: number): void {
  const now = Date.now();
  const state = resolvedAgo === undefined ? "open" : "resolved";
  const doc = {
    id,
    kind: "stuck",
    severity: "warning",
    subject: `job:${id}`,
    message: "m",
    state,
    openedAt: now - openedAgo,
    updatedAt: now - (resolvedAgo ?? openedAgo),
    ...(resolvedAgo === undefined ? {} : { resolvedAt: now - resolvedAgo }),
  };
  sql.exec(
    "INSERT INTO alerts(id, kind, subject, state, severity, opened_at, doc) VALUES (?, 'stuck', ?, ?, 'warning', ?, ?)",
    id,
    doc.subject,
    state,
    doc.openedAt,
    JSON.stringify(doc),
  );
}

describe("tidying resolved alerts", () => {
  it("reads alerts_by_state by state and opened_at, not every resolved alert", async () => {
    const product = "alerts-tidy-plan";
    await enroll(product, "box-t"); // the coordinator exists, its schema applied
    const plan = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      queryPlan(state.storage.sql, TIDY_ALERTS_SQL, Date.now() - 30 * DAY),
    );
    expect(plan).toMatch(/USING INDEX alerts_by_state \(state=\? AND opened_at<\?\)/);
  });

  it("drops an alert resolved over 30 days ago in a health pass, and keeps younger and live ones", async () => {
    const product = "alerts-tidy-pass";
    await enroll(product, "box-u");
    const stub = env.COORDINATOR.getByName(product);
    await runInDurableObject(stub, (_i, state) => {
      insertAlert(state.storage.sql, "al_tidyold000001", 35 * DAY, 31 * DAY);
      insertAlert(state.storage.sql, "al_tidykept00002", 40 * DAY, 29 * DAY);
      insertAlert(state.storage.sql, "al_tidylive00003", 40 * DAY);
    });
    await stub.checkHealth(product);
    const left = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql
        .exec<{ id: string }>("SELECT id FROM alerts WHERE id LIKE 'al_tidy%' ORDER BY id")
        .toArray()
        .map((r) => r.id),
    );
    expect(left).toEqual(["al_tidykept00002", "al_tidylive00003"]);
    // The live one, a stuck alert whose job does not exist, is the health pass's to resolve — not to drop.
    const alerts = await api<{ alerts: Array<{ id: string }> }>("GET", `${P(product)}/alerts`, { token: ADMIN });
    expect(alerts.body.alerts.map((a) => a.id)).toContain("al_tidylive00003");
  });
});
