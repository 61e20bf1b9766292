// `GET …/history?jobId=` reads one job's rows by an index seek, never by walking the product's whole history (workerd,
// real D1 with the migrations applied): a product holds many snapshots and runs of other jobs and a few of one job; the
// route's own statements, replayed as the route bound them, read about as many rows as the job has — not every row of
// the product (before migration 0009 the time index was walked and each row tested for the job: ~all of them).
import { createExecutionContext, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { HistoryRecord } from "../../src/history/write.ts";
import { writeHistory } from "../../src/history/write.ts";
import worker from "../../src/worker/index.ts";
import { ADMIN, createProduct, P } from "./client";

const PRODUCT = "hjr";
/** Rows of other jobs: far more than a page of one job, so a walk of them shows in the rows read. */
const OTHERS = 400;

beforeAll(async () => {
  await createProduct(PRODUCT);
  const records: HistoryRecord[] = [];
  const snapshot = (seq: number, jobId: string, at: number, rev = 1): HistoryRecord => ({
    productId: PRODUCT,
    seq,
    kind: "snapshot",
    body: { jobId, rev, stage: "queued", title: "t", priority: "low", attempt: 0, at, doc: {} },
  });
  const run = (seq: number, jobId: string, at: number, leaseEpoch = 1): HistoryRecord => ({
    productId: PRODUCT,
    seq,
    kind: "run",
    body: { jobId, attempt: 1, factoryId: "f", leaseEpoch, startedAt: at },
  });
  for (let i = 0; i < OTHERS; i++)
    records.push(snapshot(2 * i + 1, `other${i}`, 1000 + i), run(2 * i + 2, `other${i}`, 1000 + i));
  // The job asked for: its rows amid the others' in time, one at the start and one at the end.
  records.push(snapshot(9001, "needle", 999), run(9002, "needle", 999));
  records.push(snapshot(9003, "needle", 5000, 2), run(9004, "needle", 5000, 2));
  await writeHistory(env.DB, records);
});

/** D1 that records every statement the route binds (its SQL and parameters), then answers as D1 does. */
function recordingDb(calls: Array<{ sql: string; params: unknown[] }>): D1Database {
  const db = env.DB;
  return new Proxy(db, {
    get(target, key) {
      if (key === "prepare")
        return (sql: string) => {
          const stmt = target.prepare(sql);
          return new Proxy(stmt, {
            get(s, k) {
              if (k === "bind")
                return (...params: unknown[]) => {
                  calls.push({ sql, params });
                  return s.bind(...params);
                };
              const v = Reflect.get(s, k);
              return typeof v === "function" ? v.bind(s) : v;
            },
          });
        };
      const v = Reflect.get(target, key);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe("history of one job", () => {
  for (const [kind, table] of [
    ["snapshots", "job_snapshots"],
    ["runs", "runs"],
  ] as const) {
    it(`${kind}: the job's rows, read by a seek to them`, async () => {
      const calls: Array<{ sql: string; params: unknown[] }> = [];
      const req = new Request(`http://gf.test${P(PRODUCT)}/history?kind=${kind}&jobId=needle`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      const res = await worker.fetch(
        req as Parameters<typeof worker.fetch>[0],
        { ...env, DB: recordingDb(calls) },
        createExecutionContext(),
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as { items: Array<{ jobId: string }> };
      expect(body.items.map((r) => r.jobId)).toEqual(["needle", "needle"]);
      // The page's read: the statement over the table that filters by job (not the browse's max(ingest_seq)).
      const page = calls.filter((c) => c.sql.includes(`"${table}"`) && c.sql.includes('"job_id" = ?'));
      expect(page.length).toBeGreaterThan(0);
      for (const c of page) {
        const { meta } = await env.DB.prepare(c.sql)
          .bind(...c.params)
          .all();
        // A seek reads the job's rows (and one past them); a walk reads every row of the product's since `since`.
        expect(meta.rows_read).toBeLessThan(20);
      }
    });
  }
});
