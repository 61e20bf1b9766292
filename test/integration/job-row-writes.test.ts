// A job save writes only the columns that changed (jobs/rows `saveJob` with the version it was made from), and
// never leaves a column behind its document: after moves made from loaded, stale and hand-made copies, every
// queried column equals what the stored document says. A trigger on one column proves the narrow UPDATE is taken
// (the upsert it replaced set every column, so the trigger fired on each save).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { capabilityKey } from "../../src/core/capability-key.ts";
import type { Job } from "../../src/core/model.ts";
import { PRIORITY_VALUE } from "../../src/core/router.ts";
import { loadJob, moveJob, touchJob } from "../../src/durable-objects/coordinator/jobs/rows.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { submit } from "./client";

const unitsOf = (instance: unknown) => (instance as { units: Units }).units;

/** The row's queried columns next to what its own document says they should be. */
function columnsAndDoc(sql: SqlStorage, id: string) {
  const row = sql.exec("SELECT * FROM jobs WHERE id = ?", id).one();
  const doc = JSON.parse(row.doc as string) as Job;
  return {
    row: [
      row.stage,
      row.priority_value,
      row.queued_at,
      row.serial_key,
      row.holder_factory_id,
      row.lease_epoch,
      row.lease_expires_at,
      row.not_before,
      row.rev,
      row.cap_key,
    ],
    doc: [
      doc.stage,
      PRIORITY_VALUE[doc.priority],
      doc.queuedAt,
      doc.serialKey ?? null,
      doc.holderFactoryId ?? null,
      doc.leaseEpoch,
      doc.leaseExpiresAt ?? null,
      doc.notBefore ?? null,
      doc.rev,
      capabilityKey(doc),
    ],
  };
}

describe("the job row write path", () => {
  it("updates only changed columns, and keeps every column equal to the document", async () => {
    const product = "row-writes";
    const job = await submit(product, { title: "x", requires: ["os:linux"] });
    await runInDurableObject(env.COORDINATOR.getByName(product), (instance) => {
      const units = unitsOf(instance);
      const sql = units.sql;
      sql.exec("CREATE TABLE serial_writes(n INTEGER)");
      sql.exec(
        "CREATE TRIGGER count_serial_writes AFTER UPDATE OF serial_key ON jobs BEGIN INSERT INTO serial_writes VALUES (1); END",
      );
      const writes = () => sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM serial_writes").one().n;
      units.transact((tx) => {
        const loaded = loadJob(tx.sql, job.id)!;
        const assigned = moveJob(tx, loaded, "assigned", {
          holderFactoryId: "f1",
          leaseEpoch: 1,
          leaseExpiresAt: 9e12,
        });
        touchJob(tx, assigned, { leaseExpiresAt: 9.5e12 });
      });
      expect(writes()).toBe(0); // serial_key never changed: never written
      expect(columnsAndDoc(sql, job.id).row).toEqual(columnsAndDoc(sql, job.id).doc);

      units.transact((tx) => {
        const loaded = loadJob(tx.sql, job.id)!;
        const moved = touchJob(tx, loaded, { serialKey: "repo-a" });
        // A stale copy (the row has moved past it) and a hand-made one: both still land whole.
        touchJob(tx, loaded, { leaseExpiresAt: 9.7e12 });
        touchJob(tx, { ...moved, holderFactoryId: "f2" }, { notBefore: 5 });
      });
      expect(writes()).toBeGreaterThan(0);
      const after = columnsAndDoc(sql, job.id);
      expect(after.row).toEqual(after.doc);
      expect(after.doc).toContain("f2");
      expect(after.doc).toContain(5);
    });
  });
});
