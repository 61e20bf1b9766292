// `GET …/alerts?state=…` reads one state's alerts by range, whatever the history holds: the page statement of
// policies/alerts (`alertPageSql`) for one state, with or without a cursor, searches alerts_by_state_id (EXPLAIN
// QUERY PLAN of the very statement; with `(? IS NULL OR state = ?)` it walked every alert in id order), and over 30
// resolved alerts and 3 open ones the API pages the open ones newest first, two to a page, then the last one.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { alertPageSql } from "../../src/durable-objects/coordinator/policies/alerts.ts";
import { withLimit } from "../../src/durable-objects/sql-statements.ts";
import { ADMIN, api, enroll, P } from "./client";
import { queryPlan } from "./state";

function insertAlert(sql: SqlStorage, id: string, state: "open" | "resolved", at: number): void {
  const doc = { id, kind: "stuck", severity: "warning", subject: `job:${id}`, message: "m", state, openedAt: at };
  sql.exec(
    "INSERT INTO alerts(id, kind, subject, state, severity, opened_at, doc) VALUES (?, 'stuck', ?, ?, 'warning', ?, ?)",
    id,
    doc.subject,
    state,
    at,
    JSON.stringify({ ...doc, updatedAt: at, ...(state === "resolved" ? { resolvedAt: at } : {}) }),
  );
}

describe("GET …/alerts?state=", () => {
  it("searches alerts_by_state_id for one state's page, with and without a cursor", async () => {
    const product = "alerts-list-plan";
    await enroll(product, "box-l"); // the coordinator exists, its schema applied
    const plans = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => [
      queryPlan(state.storage.sql, withLimit(alertPageSql(true, false), 51), "open"),
      queryPlan(state.storage.sql, withLimit(alertPageSql(true, true), 51), "open", "al_zzzzzzzzzzzz"),
    ]);
    expect(plans[0]).toMatch(/SEARCH alerts USING INDEX alerts_by_state_id \(state=\?\)/);
    expect(plans[1]).toMatch(/SEARCH alerts USING INDEX alerts_by_state_id \(state=\? AND id<\?\)/);
    for (const plan of plans) expect(plan).not.toMatch(/SCAN alerts|TEMP B-TREE/);
  });

  it("pages one state's alerts newest first among many of another", async () => {
    const product = "alerts-list-pages";
    await enroll(product, "box-m");
    const t = Date.now() - 60_000;
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      for (let i = 0; i < 30; i++)
        insertAlert(state.storage.sql, `al_listres${String(i).padStart(4, "0")}`, "resolved", t);
      for (const i of [1, 2, 3]) insertAlert(state.storage.sql, `al_listopen${i}000`, "open", t);
    });
    type Page = { alerts: Array<{ id: string }>; nextCursor?: string };
    const first = await api<Page>("GET", `${P(product)}/alerts?state=open&limit=2`, { token: ADMIN });
    expect(first.body.alerts.map((a) => a.id)).toEqual(["al_listopen3000", "al_listopen2000"]);
    const cursor = first.body.nextCursor;
    expect(cursor).toBe("al_listopen2000");
    const next = await api<Page>("GET", `${P(product)}/alerts?state=open&limit=2&cursor=${cursor}`, { token: ADMIN });
    expect(next.body).toEqual({ alerts: [expect.objectContaining({ id: "al_listopen1000" })] });
    const all = await api<Page>("GET", `${P(product)}/alerts?limit=200`, { token: ADMIN });
    expect(all.body.alerts.filter((a) => a.id.startsWith("al_list"))).toHaveLength(33);
  });
});
