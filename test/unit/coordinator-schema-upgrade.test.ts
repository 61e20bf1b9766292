// A coordinator made by older code is brought to exactly the schema a new one gets: applySchema (runtime/schema), run
// on the storage an earlier version left (test/support/coordinator-schemas: the first commit's, and a later one), ends
// with every table, column (type, NOT NULL, key, default) and index — partial ones with their WHERE — that it makes
// on empty storage, and keeps the rows it had (v1's runs, re-keyed by lease epoch; an outbox event gains its job).
// Durable Objects have no migration tool: a column added to a `CREATE TABLE IF NOT EXISTS` without its ALTER is
// never added to a coordinator that exists, and fails only there (a local state reused by `npm start`, a deployment).
// Run on Node's SQLite behind the few SqlStorage calls the schema code makes; the same engine as workerd's.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import type { Manifest } from "../../src/core/model.ts";
import { applySchema } from "../../src/durable-objects/coordinator/runtime/schema.ts";
import { requestHash } from "../../src/shared/request-hash.ts";

const DIR = path.join(import.meta.dirname, "../support/coordinator-schemas");

/** `db` behind SqlStorage's `exec` (several statements at once, or one with bindings) and its cursor's fields. */
function sqlStorage(db: DatabaseSync): SqlStorage {
  const exec = (query: string, ...bindings: unknown[]) => {
    let rows: Record<string, unknown>[] = [];
    let written = 0;
    if (/;\s*\S/.test(query.trim().replace(/;\s*$/, ""))) db.exec(query);
    else {
      const st = db.prepare(query);
      const args = bindings as (string | number | null)[];
      if (st.columns().length > 0) rows = st.all(...args) as Record<string, unknown>[];
      else written = Number(st.run(...args).changes);
    }
    return { toArray: () => rows, one: () => rows[0], rowsWritten: written, rowsRead: rows.length };
  };
  return { exec } as unknown as SqlStorage;
}

/** Every table's columns and every index, one line each, in a stable order. */
function shape(db: DatabaseSync): string[] {
  const out: string[] = [];
  const objects = db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
    .all() as { type: string; name: string; tbl_name: string; sql: string | null }[];
  for (const o of objects) {
    if (o.type === "table") {
      const cols = db.prepare(`PRAGMA table_info("${o.name}")`).all() as Record<string, unknown>[];
      // By name: ALTER TABLE appends, so an upgraded table may hold its columns in another order (no statement
      // reads by position: every INSERT names its columns).
      const described = cols.map((c) => `${c.name} ${c.type}${c.notnull ? " NN" : ""} pk${c.pk} = ${c.dflt_value}`);
      out.push(`table ${o.name}: ${described.sort().join(", ")}`);
    } else if (o.type === "index") {
      const keys = (db.prepare(`PRAGMA index_xinfo("${o.name}")`).all() as Record<string, unknown>[])
        .filter((c) => c.key)
        .map((c) => `${c.name}${c.desc ? " DESC" : ""}`);
      const where =
        /\bWHERE\b([\s\S]*)$/i
          .exec(o.sql ?? "")?.[1]
          ?.replace(/\s+/g, " ")
          .trim() ?? "";
      const unique = /^\s*CREATE\s+UNIQUE/i.test(o.sql ?? "") ? "unique " : "";
      out.push(`${unique}index ${o.name} on ${o.tbl_name}(${keys.join(", ")})${where ? ` where ${where}` : ""}`);
    } else out.push(`${o.type} ${o.name}`);
  }
  return out;
}

function fresh(): DatabaseSync {
  const db = new DatabaseSync(":memory:");
  applySchema(sqlStorage(db));
  return db;
}

const OLD = readdirSync(DIR).filter((f) => f.endsWith(".sql"));

describe("the coordinator's schema upgrade", () => {
  it("is idempotent on a new coordinator", () => {
    const db = fresh();
    applySchema(sqlStorage(db));
    expect(shape(db)).toEqual(shape(fresh()));
  });

  it.each(OLD)("brings the schema of %s to exactly a new coordinator's", (file) => {
    const db = new DatabaseSync(":memory:");
    db.exec(readFileSync(path.join(DIR, file), "utf8"));
    applySchema(sqlStorage(db));
    expect(shape(db)).toEqual(shape(fresh()));
  });

  it("keeps the first version's rows: each run re-keyed by its lease epoch, an outbox event given its job", () => {
    const db = new DatabaseSync(":memory:");
    db.exec(readFileSync(path.join(DIR, "987ecc0.sql"), "utf8"));
    const run =
      "INSERT INTO runs(job_id, attempt, factory_id, lease_epoch, started_at, doc) VALUES (?, ?, 'f', ?, 1, '{}')";
    db.prepare(run).run("job_a", 1, 1);
    db.prepare(run).run("job_a", 2, 2);
    db.prepare("INSERT INTO outbox(kind, body) VALUES ('event', ?)").run(JSON.stringify({ jobId: "job_a" }));
    applySchema(sqlStorage(db));
    expect(db.prepare("SELECT job_id, attempt, lease_epoch FROM runs ORDER BY lease_epoch").all()).toEqual([
      { job_id: "job_a", attempt: 1, lease_epoch: 1 },
      { job_id: "job_a", attempt: 2, lease_epoch: 2 },
    ]);
    expect(db.prepare("SELECT kind, job_id, at FROM outbox").all()).toEqual([
      { kind: "event", job_id: "job_a", at: 0 },
    ]);
  });

  it("gives each key of the first version (the jobs column alone) its hash row, once", () => {
    const db = new DatabaseSync(":memory:");
    db.exec(readFileSync(path.join(DIR, "987ecc0.sql"), "utf8"));
    // As an old coordinator stored it: only the fields it wrote (a hash of what is stored, not of today's defaults).
    const manifest = { title: "old", priority: "normal", idempotencyKey: "k-1" } as unknown as Manifest;
    const job = (id: string, key: string | null, doc: object) =>
      db
        .prepare(
          "INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, idempotency_key, doc) VALUES (?, 'queued', 2, 5, 5, ?, ?)",
        )
        .run(id, key, JSON.stringify(doc));
    job("job_k", "k-1", { id: "job_k", manifest, bodyMd: "b" });
    job("job_n", null, { id: "job_n", manifest: { title: "no key" }, bodyMd: "" });
    job("job_bad", "k-bad", { id: "job_bad" }); // no manifest: nothing to hash, and the start must not throw
    applySchema(sqlStorage(db));
    // The hash a lookup recomputed from the job before, dated as the job (jobs/key-prune forgets both at once).
    expect(db.prepare("SELECT key, request_hash, job_id, created_at FROM idempotency_keys").all()).toEqual([
      { key: "k-1", request_hash: requestHash({ manifest, bodyMd: "b" }), job_id: "job_k", created_at: 5 },
      // Nothing to hash: a row no request matches, so the key's reuse is a 409 (with no row it met jobs' UNIQUE key).
      { key: "k-bad", request_hash: "unhashable", job_id: "job_bad", created_at: 5 },
    ]);
    // Marked done: a later start reads the mark, not every keyed job (nothing it could find since).
    db.exec("DELETE FROM idempotency_keys");
    applySchema(sqlStorage(db));
    expect(db.prepare("SELECT COUNT(*) AS n FROM idempotency_keys").get()).toEqual({ n: 0 });
  });
});
