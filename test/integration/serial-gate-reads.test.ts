// A serial key's gate view reads the key's live jobs, not its history: `GET …/serial`, a freeze and an unfreeze of a
// key whose 3,000 earlier jobs have all finished read a few rows per statement for it — each statement that looks up
// the key (its holder, its queue by class and backoff, its length) seeks the key's jobs of one stage. Keyed by the
// serial key alone, every one of them read all 3,000 finished rows, on every board refresh and every freeze. And the
// list of live keys reads the live jobs that have a key, not the 2,000 queued jobs that have none.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, P, submit } from "./client.ts";
import { cloneQueued } from "./state.ts";

const KEY = "repo/main";
const FINISHED = 3_000;

/** Give `seedId`'s key `count` finished jobs: copies of it in stage `shipped`, queued and created earlier. */
async function finishedJobs(product: string, seedId: string, count: number): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, serial_key, rev, doc, cap_key)
       SELECT printf('job_done_%05d', i), 'shipped', priority_value, queued_at - i, created_at - i, serial_key, rev,
              json_set(doc, '$.id', printf('job_done_%05d', i), '$.stage', 'shipped'), cap_key
         FROM jobs, n WHERE jobs.id = ?2`,
      count,
      seedId,
    );
  });
}

/**
 * Rows read by each statement that looks a serial key's jobs up, while `call` runs: SqlStorage's `exec` is wrapped on
 * its prototype (every Durable Object of this isolate) and each such cursor's `rowsRead` taken once it is read.
 */
async function keyReads(product: string, call: () => Promise<unknown>, match = /serial_key = \?/): Promise<number[]> {
  const cursors: Array<{ rowsRead: number }> = [];
  const proto = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    const p = Object.getPrototypeOf(state.storage.sql) as { exec: (q: string, ...a: unknown[]) => unknown };
    const exec = p.exec;
    p.exec = function (this: unknown, q: string, ...args: unknown[]) {
      const cursor = exec.call(this, q, ...args) as { rowsRead: number };
      if (match.test(q)) cursors.push(cursor);
      return cursor;
    };
    return { p, exec };
  });
  try {
    await call();
  } finally {
    proto.p.exec = proto.exec;
  }
  return cursors.map((c) => c.rowsRead);
}

describe("a serial key's gate view", () => {
  it("reads the key's live jobs, not the thousands it finished before", async () => {
    const product = "serial-gate-reads";
    const seed = await submit(product, { title: "seed", serialKey: KEY });
    await finishedJobs(product, seed.id, FINISHED);
    const path = `${P(product)}/serial/${encodeURIComponent(KEY)}`;
    const calls = {
      list: () => api("GET", `${P(product)}/serial`, { token: ADMIN }),
      freeze: () => api("POST", `${path}/freeze`, { token: ADMIN, json: { reason: "migration" } }),
      unfreeze: () => api("POST", `${path}/unfreeze`, { token: ADMIN, json: {} }),
    };
    for (const [name, call] of Object.entries(calls)) {
      const reads = await keyReads(product, call);
      expect(reads.length, name).toBeGreaterThan(0);
      for (const n of reads) expect(n, `${name}: ${JSON.stringify(reads)}`).toBeLessThanOrEqual(10);
    }
    const gate = (await calls.list()).body as { keys: Array<{ key: string; queue: string[]; queueLength: number }> };
    expect(gate.keys).toEqual([expect.objectContaining({ key: KEY, queue: [seed.id], queueLength: 1 })]);
  });
});

describe("the list of live serial keys", () => {
  it("reads the live jobs that have a key, not the queue's jobs that have none", async () => {
    const product = "serial-list-reads";
    const keyed = await submit(product, { title: "keyed", serialKey: KEY });
    const plain = await submit(product, { title: "plain" });
    await cloneQueued(product, plain.id, 2_000);
    const reads = await keyReads(
      product,
      () => api("GET", `${P(product)}/serial`, { token: ADMIN }),
      /UNION SELECT key/,
    );
    expect(reads).toHaveLength(1);
    expect(reads[0]).toBeLessThanOrEqual(20); // the one keyed job and the union's own rows, not 2,000
    const page = (await api("GET", `${P(product)}/serial`, { token: ADMIN })).body as { keys: Array<{ key: string }> };
    expect(page.keys.map((k) => k.key)).toEqual([KEY]);
    expect(keyed.serialKey).toBe(KEY);
  });
});
