// `GET …/history?jobId=` reads one job's rows by an index seek, never by walking the product's whole history (workerd,
// real D1 with the migrations applied): a product holds many snapshots and runs of other jobs and a few of one job; the
// route's own statements, replayed as the route bound them, read about as many rows as the job has — not every row of
// the product (before migration 0009 the time index was walked and each row tested for the job: ~all of them).
// A follower of one job, polling while the product writes other jobs' rows, reads a bounded number of rows per poll
// and still gets the job's next row once: its cursor keeps its place at its last match, and before 0009 each poll
// walked every row the product had written since — a read per request growing for as long as it polled.
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

/** One GET of `query` through the Worker, and each statement it bound over `table` filtering by job, replayed. */
async function get(query: string, table: string): Promise<{ body: Page; rowsRead: number[] }> {
  const calls: Array<{ sql: string; params: unknown[] }> = [];
  const req = new Request(`http://gf.test${P(PRODUCT)}/history?${query}`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  const res = await worker.fetch(
    req as Parameters<typeof worker.fetch>[0],
    { ...env, DB: recordingDb(calls) },
    createExecutionContext(),
  );
  expect(res.status).toBe(200);
  const body = (await res.json()) as Page;
  const rowsRead: number[] = [];
  for (const c of calls.filter((c) => c.sql.includes(`"${table}"`) && c.sql.includes('"job_id" = ?'))) {
    const { meta } = await env.DB.prepare(c.sql)
      .bind(...c.params)
      .all();
    rowsRead.push(meta.rows_read);
  }
  return { body, rowsRead };
}

interface Page {
  items: Array<{ jobId: string; rev?: number }>;
  nextCursor: string;
  more: boolean;
}

describe("history of one job", () => {
  it("a follower of one job reads no more per poll as the other jobs' rows grow, and still gets its job's next one", async () => {
    const q = "kind=snapshots&jobId=tracked&limit=10";
    const browse = await get(q, "job_snapshots");
    expect(browse.body.more).toBe(false);
    let cursor = browse.body.nextCursor;
    // The product goes on writing other jobs' history, batch after batch, while the follower polls.
    for (let round = 0; round < 3; round++) {
      const others: HistoryRecord[] = Array.from({ length: 150 }, (_, i) => ({
        productId: PRODUCT,
        seq: 20_000 + round * 1000 + i,
        kind: "snapshot",
        body: {
          jobId: `late${round}-${i}`,
          rev: 1,
          stage: "queued",
          title: "t",
          priority: "low",
          attempt: 0,
          at: 7000,
          doc: {},
        },
      }));
      await writeHistory(env.DB, others);
      const poll = await get(`${q}&cursor=${cursor}`, "job_snapshots");
      expect(poll.body.items).toEqual([]);
      // Never every row the product wrote since the follower's last match (150 more each round before 0009).
      for (const n of poll.rowsRead) expect(n).toBeLessThanOrEqual(151);
      cursor = poll.body.nextCursor;
    }
    // Caught up, a poll reads next to nothing.
    const idle = await get(`${q}&cursor=${cursor}`, "job_snapshots");
    for (const n of idle.rowsRead) expect(n).toBeLessThan(5);
    // The job's next row comes once.
    await writeHistory(env.DB, [
      {
        productId: PRODUCT,
        seq: 30_000,
        kind: "snapshot",
        body: { jobId: "tracked", rev: 3, stage: "done", title: "t", priority: "low", attempt: 0, at: 8000, doc: {} },
      },
    ]);
    const next = await get(`${q}&cursor=${idle.body.nextCursor}`, "job_snapshots");
    expect(next.body.items.map((r) => [r.jobId, r.rev])).toEqual([["tracked", 3]]);
    const after = await get(`${q}&cursor=${next.body.nextCursor}`, "job_snapshots");
    expect(after.body.items).toEqual([]);
  });

  for (const [kind, table] of [
    ["snapshots", "job_snapshots"],
    ["runs", "runs"],
  ] as const) {
    it(`${kind}: the job's rows, read by a seek to them`, async () => {
      const { body, rowsRead } = await get(`kind=${kind}&jobId=needle`, table);
      expect(body.items.map((r) => r.jobId)).toEqual(["needle", "needle"]);
      // The page's read (the statement over the table that filters by job): a seek reads the job's rows and one past
      // them; a walk reads every row of the product's since `since`.
      expect(rowsRead.length).toBeGreaterThan(0);
      for (const n of rowsRead) expect(n).toBeLessThan(20);
    });
  }
});
