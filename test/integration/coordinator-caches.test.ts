// What the coordinator keeps in memory or writes narrowly never drifts from its storage, rollbacks included. The
// live-alert kinds, the cached factory records dispatch reads, and a job's queried columns each agree with the
// stored truth after ordinary writes, stale copies and rolled-back units.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { capabilityKey } from "../../src/core/capability-key.ts";
import { DomainError } from "../../src/core/errors.ts";
import type { Job } from "../../src/core/model.ts";
import { PRIORITY_VALUE } from "../../src/core/router.ts";
import { cachedFactory } from "../../src/durable-objects/coordinator/factories/cache.ts";
import { updateFactory } from "../../src/durable-objects/coordinator/factories/registry.ts";
import { loadJob, moveJob, touchJob } from "../../src/durable-objects/coordinator/jobs/rows.ts";
import { clearAlert, raiseAlert } from "../../src/durable-objects/coordinator/policies/alerts.ts";
import { setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { ADMIN, api, enroll, getJob, P, submit, until } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";
import { dispatchSettled, recordStatements } from "./state";

// What the coordinator keeps in memory about live alerts (policies/alerts `mayHaveLive`): a clear of a kind with no
// live alert reads nothing, a raise marks its kind, and a rollback forgets it all — a resolution rolled back leaves
// the alert live, and the next clear still finds and resolves it. (Every move out of building or the queue clears
// `stuck` and `starving`, almost always never raised: issue 12, two reads per job.)

class RollBack extends Error {}

/** `fn` with every statement's text recorded; returns what it ran. */
function recording(state: DurableObjectState, fn: () => void): string[] {
  const stop = recordStatements(state);
  let seen: string[] = [];
  try {
    fn();
  } finally {
    seen = stop();
  }
  return seen;
}

const liveOf = (state: DurableObjectState, subject: string) =>
  state.storage.sql
    .exec<{ n: number }>("SELECT COUNT(*) AS n FROM alerts WHERE subject = ? AND state <> 'resolved'", subject)
    .one().n;

describe("live alert kinds in memory", () => {
  it("reads nothing to clear a kind with no live alert, and never trusts a 'none' a rollback may have undone", async () => {
    const product = "alert-kinds";
    await runInDurableObject(env.COORDINATOR.getByName(product), (instance, state) => {
      setMeta(state.storage.sql, "product_id", product);
      const units = (instance as unknown as { units: Units }).units;
      const stuck = { kind: "stuck", severity: "warning", subject: "job:a", message: "no event for 30 min" } as const;
      units.transact((tx) => clearAlert(tx, "stuck", "job:x")); // learns: no live `stuck`
      const quiet = recording(state, () => units.transact((tx) => clearAlert(tx, "stuck", "job:y")));
      expect(quiet.filter((q) => /alerts/.test(q))).toEqual([]);
      // A raise marks the kind: the next clear reads and resolves.
      units.transact((tx) => raiseAlert(tx, stuck));
      expect(liveOf(state, "job:a")).toBe(1);
      // Resolved, then rolled back: the alert is live again, and so must the kind be.
      expect(() =>
        units.transact((tx) => {
          clearAlert(tx, "stuck", "job:a");
          clearAlert(tx, "stuck", "job:z"); // after the resolution: learns "none" from inside the doomed unit
          throw new RollBack();
        }),
      ).toThrow(RollBack);
      expect(liveOf(state, "job:a")).toBe(1);
      units.transact((tx) => clearAlert(tx, "stuck", "job:a"));
      expect(liveOf(state, "job:a")).toBe(0);
    });
  });
});

// Proves that dispatch from cached factory records (factories/cache, dispatch/free-seats) routes as reading every
// row did: an operator's status change, a deregistration and a rolled-back write are all seen by the next pass,
// and with many idle factories attached a job goes to the only factory holding its capability.

const setStatus = (product: string, id: string, status: string) =>
  api("POST", `${P(product)}/factories/${id}/status`, { token: ADMIN, json: { status } });

describe("dispatch from cached factory records", () => {
  it("sees an operator's status change on the very next pass, both ways", async () => {
    const product = "fcache-status";
    const f = await enroll(product, "f", [], 2);
    const { socket } = await connectFactory(product, f.token, { seats: 2 }); // a seat stays free after the first job
    const first = await submit(product, { title: "first" });
    expect((await socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(first.id); // the cache is warm

    expect((await setStatus(product, f.factoryId, "quarantined")).status).toBe(200);
    const held = await submit(product, { title: "held" });
    await dispatchSettled(product);
    expect((await getJob(product, held.id)).stage).toBe("queued");

    expect((await setStatus(product, f.factoryId, "active")).status).toBe(200);
    // Reactivation moves no job, so the factory's next frame (a heartbeat) is what runs the pass.
    socket.send({ type: "heartbeat", id: "hb" });
    const pushed = await socket.next<AssignFrame>("assign");
    expect(pushed.assignments.map((a) => a.job.id)).toEqual([held.id]);
    socket.close();
  });

  it("forgets a write whose transaction rolled back", async () => {
    const product = "fcache-rollback";
    const f = await enroll(product, "f");
    const stub = env.COORDINATOR.getByName(product);
    await runInDurableObject(stub, async (instance) => {
      const units = (instance as unknown as { units: Units }).units;
      const outcome = await units.run(product, (tx) => {
        updateFactory(tx, f.factoryId, { status: "quarantined" });
        expect(cachedFactory(tx.sql, f.factoryId)?.status).toBe("quarantined"); // cached inside the transaction
        throw new DomainError("conflict", "roll it back");
      });
      expect(outcome.ok).toBe(false);
      expect(cachedFactory(units.sql, f.factoryId)?.status).toBe("active");
    });
  });

  it("pushes a job to the one factory with its capability while many without it sit idle and free", async () => {
    const product = "fcache-index";
    const idle = [];
    for (let i = 0; i < 12; i++) {
      const e = await enroll(product, `idle-${i}`);
      idle.push((await connectFactory(product, e.token)).socket);
    }
    const worker = await enroll(product, "worker", ["gpu"]);
    const { socket } = await connectFactory(product, worker.token, { capabilities: ["gpu"] });
    const gpu = await submit(product, { title: "gpu job", requires: ["gpu"] });
    expect((await socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(gpu.id);
    // A job that requires nothing may go to any free factory: one of the idle ones takes it.
    const any = await submit(product, { title: "any" });
    const placed = await until(
      () => getJob(product, any.id),
      (j) => j.stage === "assigned",
    );
    expect(placed.holderFactoryId).not.toBe(worker.factoryId);
    for (const s of [...idle, socket]) s.close();
  });

  it("stops pushing to a deregistered factory whose socket is still attached", async () => {
    const product = "fcache-deregister";
    const f = await enroll(product, "f", [], 2);
    const { socket } = await connectFactory(product, f.token, { seats: 2 });
    await submit(product, { title: "warm" });
    await socket.next<AssignFrame>("assign");
    expect((await api("DELETE", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN })).status).toBe(200);
    const later = await submit(product, { title: "later" });
    await dispatchSettled(product);
    expect((await getJob(product, later.id)).stage).toBe("queued");
    socket.close();
  });
});

// A job save writes only the columns that changed (jobs/rows `saveJob` with the version it was made from), and
// never leaves a column behind its document: after moves made from loaded, stale and hand-made copies, every
// queried column equals what the stored document says. A trigger on one column proves the narrow UPDATE is taken
// (the upsert it replaced set every column, so the trigger fired on each save).

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
          leaseExpiresAt: 4e12, // far ahead, yet an instant the runtime can arm an alarm at (before 2189)
        });
        touchJob(tx, assigned, { leaseExpiresAt: 4.5e12 });
      });
      expect(writes()).toBe(0); // serial_key never changed: never written
      expect(columnsAndDoc(sql, job.id).row).toEqual(columnsAndDoc(sql, job.id).doc);

      units.transact((tx) => {
        const loaded = loadJob(tx.sql, job.id)!;
        const moved = touchJob(tx, loaded, { serialKey: "repo-a" });
        // A stale copy (the row has moved past it) and a hand-made one: both still land whole.
        touchJob(tx, loaded, { leaseExpiresAt: 4.7e12 });
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
