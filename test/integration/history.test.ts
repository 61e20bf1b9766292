// D1 history: snapshots, runs and audit leave the coordinator through its outbox and the
// history queue — never on the request path — and land in D1 exactly once, snapshots and audit entries several
// rows to a statement (within D1's 100 parameters), runs one upsert each in order.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type HistoryRecord, writeHistory } from "../../src/history/write.ts";
import { ADMIN, api, claim, enroll, P, submit } from "./client";
import { auditDelivered } from "./history-wait.ts";

describe("history in D1", () => {
  it("records a snapshot per stage change, the run, and the operator audit trail", async () => {
    const product = "history-flow";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "h" });
    const path = `${P(product)}/jobs/${job.id}`;
    await claim(product, f.token);
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, stage: "building" } });
    await api("PATCH", path, {
      token: f.token,
      json: { leaseEpoch: 1, stage: "testing", insights: { tokensIn: 10, tokensOut: 5, costUsd: 0.25 } },
    });
    await api("POST", `${path}/actions/ship`, { token: ADMIN });

    // Read once all the coordinator wrote is in D1 (history-wait `auditDelivered`: its outbox holds no history record —
    // every one shipped — then a token minted after is read back): a row landing after the ones compared is seen.
    const audit = await auditDelivered(product);
    // The product's creation first (the client creates it on first use: product-create-audit), then the actions, then
    // the helper's own token.
    expect(audit.map((a) => a.action)).toEqual([
      "product.create",
      "factory.enroll",
      "job.submit",
      "job.ship",
      "token.mint",
    ]);
    expect(audit[3]?.actor).toBe("admin");
    const read = <T>(kind: string) =>
      api<{ items: T[] }>("GET", `${P(product)}/history?kind=${kind}&jobId=${job.id}`, { token: ADMIN });
    const snaps = await read<{ stage: string }>("snapshots");
    expect(snaps.body.items.map((s) => s.stage)).toEqual(["queued", "assigned", "building", "testing", "shipped"]);
    const runs = await read<Record<string, unknown>>("runs");
    expect(runs.body.items).toHaveLength(1);
    expect(runs.body.items[0]).toMatchObject({ attempt: 1, outcome: "success", tokensIn: 10, costUsd: 0.25 });
  });

  it("writes many snapshots and audit entries a statement at a time: every row once, twice delivered or not", async () => {
    const product = "history-multirow";
    const records: HistoryRecord[] = [];
    for (let i = 0; i < 37; i++) {
      records.push({
        productId: product,
        seq: 2 * i + 1,
        kind: "snapshot",
        body: {
          jobId: `j${i}`,
          rev: 1,
          stage: "queued",
          title: `t${i}`,
          priority: "medium",
          attempt: 0,
          at: i,
          doc: { i },
        },
      });
      records.push({
        productId: product,
        seq: 2 * i + 2,
        kind: "audit",
        body: { at: i, actor: "op", action: `a${i}`, target: `j${i}` },
      });
    }
    // A run started and ended in the same chunk: only its end is written (history/rows `decisiveRunRows`).
    const run = { jobId: "j0", attempt: 1, factoryId: "f", leaseEpoch: 1, startedAt: 1 };
    records.push({ productId: product, seq: 100, kind: "run", body: run });
    records.push({
      productId: product,
      seq: 101,
      kind: "run",
      body: { ...run, endedAt: 2, result: { outcome: "success" } },
    });
    // D1 as the writer sees it, counting the statements of each batch.
    const sizes: number[] = [];
    const d1 = {
      prepare: (q: string) => env.DB.prepare(q),
      batch: (st: D1PreparedStatement[]) => {
        sizes.push(st.length);
        return env.DB.batch(st);
      },
    } as unknown as D1Database;
    await writeHistory(d1, records);
    // The batch counter (history_seq), 37 snapshots 8 a statement, 37 audit entries 11 a statement, 1 run.
    expect(sizes).toEqual([1 + 5 + 4 + 1]);
    await writeHistory(d1, records); // a redelivery changes nothing
    const count = async (table: string) =>
      (
        await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE product_id = ?`)
          .bind(product)
          .first<{ n: number }>()
      )?.n;
    expect(await count("job_snapshots")).toBe(37);
    expect(await count("audit_log")).toBe(37);
    const titles = await env.DB.prepare("SELECT title FROM job_snapshots WHERE product_id = ? ORDER BY at")
      .bind(product)
      .all<{ title: string }>();
    expect(titles.results.map((r) => r.title)).toEqual(Array.from({ length: 37 }, (_, i) => `t${i}`));
    const ran = await env.DB.prepare("SELECT outcome, ended_at AS e FROM runs WHERE product_id = ?")
      .bind(product)
      .all();
    expect(ran.results).toEqual([{ outcome: "success", e: 2 }]);
  });
});
