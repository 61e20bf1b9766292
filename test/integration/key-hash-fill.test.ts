// The one-time fill of idempotency hash rows for keys only the `jobs` column holds (jobs/idempotency
// `fillKeyHashes`) is bounded: the start's schema step gives at most KEY_FILL_CHUNK keyed jobs their rows and keeps a
// cursor; the alarms that follow, one chunk each, finish it and mark it done. Partway, a key the fill has not reached
// is still found: the same request again gets its job back (200), another one 409, and no second job is made.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  KEY_FILL_CHUNK,
  KEY_FILL_CURSOR,
  KEY_HASHES_FILLED,
} from "../../src/durable-objects/coordinator/jobs/idempotency.ts";
import { forgetMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import { applySchema } from "../../src/durable-objects/coordinator/runtime/schema.ts";
import { ADMIN, api, P, until } from "./client.ts";
import { holdAlarm, restartCoordinator } from "./state.ts";

const post = (product: string, bodyMd: string, key: string) =>
  api<{ id: string; idempotencyKey?: string }>("POST", `${P(product)}/jobs`, {
    token: ADMIN,
    json: { manifest: { title: "legacy" }, bodyMd },
    headers: { "idempotency-key": key },
  });

/** Keyed jobs, hash rows, and the fill's two `meta` values. */
const fillState = (product: string) =>
  runInDurableObject(env.COORDINATOR.getByName(product), (_i, s) => {
    const n = (q: string) => (s.storage.sql.exec<{ n: number }>(q).toArray()[0]?.n ?? 0) as number;
    const meta = (key: string) =>
      s.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
    return {
      keyed: n("SELECT count(*) AS n FROM jobs WHERE idempotency_key IS NOT NULL"),
      rows: n("SELECT count(*) AS n FROM idempotency_keys"),
      cursor: meta(KEY_FILL_CURSOR),
      filled: meta(KEY_HASHES_FILLED),
    };
  });

describe("the key-hash fill of a coordinator with more legacy keys than one chunk", () => {
  it("fills a chunk per step, finds a key not reached yet, and finishes in the alarms after a start", async () => {
    const product = "key-fill-chunks";
    const seed = await post(product, "v1", "zz-seed"); // sorts after every clone's key: the fill reaches it last
    expect(seed.status).toBe(201);
    const release = await holdAlarm(product);
    const extra = 50;
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, s) => {
      // Storage as an older coordinator left it: KEY_FILL_CHUNK + 50 more keys in the jobs column alone, no mark.
      s.storage.sql.exec(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, serial_key, rev, doc, cap_key, idempotency_key)
         SELECT printf('job_clone_%05d', i), 'cancelled', priority_value, queued_at, created_at, serial_key, rev,
                json_set(doc, '$.id', printf('job_clone_%05d', i)), cap_key, printf('k-%05d', i)
           FROM jobs, n WHERE jobs.id = ?2`,
        KEY_FILL_CHUNK + extra - 1,
        seed.body.id,
      );
      s.storage.sql.exec("DELETE FROM idempotency_keys");
      s.storage.sql.exec("DELETE FROM meta WHERE key IN (?, ?)", KEY_HASHES_FILLED, KEY_FILL_CURSOR);
      forgetMeta(s.storage.sql);
      applySchema(s.storage.sql); // what a start runs
    });
    const partway = await fillState(product);
    expect(partway).toEqual({
      keyed: KEY_FILL_CHUNK + extra,
      rows: KEY_FILL_CHUNK,
      cursor: `k-${String(KEY_FILL_CHUNK).padStart(5, "0")}`,
      filled: undefined,
    });

    // The seed's key is past the cursor: no hash row, yet found through the jobs column.
    const same = await post(product, "v1", "zz-seed");
    expect([same.status, same.body.id]).toEqual([200, seed.body.id]);
    const changed = await post(product, "v2", "zz-seed");
    expect([changed.status, changed.body.idempotencyKey]).toEqual([409, "zz-seed"]);
    const after = await fillState(product);
    expect(after.keyed).toBe(KEY_FILL_CHUNK + extra); // no second job under the key
    expect(after.rows).toBe(KEY_FILL_CHUNK + 1); // the lookup wrote the row it found (jobs/batch-read reads rows alone)

    // A start (a new instance) arms the alarm for the rest; its steps finish the fill and mark it done.
    await release();
    await restartCoordinator(product);
    const done = await until(
      () => fillState(product),
      (s) => s.filled !== undefined,
    );
    expect(done).toEqual({
      keyed: KEY_FILL_CHUNK + extra,
      rows: KEY_FILL_CHUNK + extra,
      cursor: undefined,
      filled: "1",
    });
  });
});
