// A unit's history records leave the coordinator as ONE outbox row (outbox/history-groups), exactly as atomic as
// a row each: in write order, dropped with a rollback — a nested part's alone — split when over GROUP_BYTES, and
// in D1 each record arrives as if it had travelled alone (an audit entry per part, under its own id).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/core/errors.ts";
import { GROUP_BYTES } from "../../src/durable-objects/coordinator/outbox/history-groups.ts";
import { enqueueAudit } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { ADMIN, api, P, submit, until } from "./client";

interface Row extends Record<string, SqlStorageValue> {
  seq: number;
  kind: string;
  body: string;
}

/** Run `write` as one unit and return the outbox rows it left, read the moment it committed. */
async function unitRows(product: string, write: (tx: Tx, units: Units) => void): Promise<Row[]> {
  return runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
    const units = (instance as unknown as { units: Units }).units;
    const sql = state.storage.sql;
    const before = sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM outbox").one().s ?? 0;
    let rows: Row[] = [];
    await units.run(
      product,
      (tx) => write(tx, units),
      () => {
        rows = sql.exec<Row>("SELECT seq, kind, body FROM outbox WHERE seq > ? ORDER BY seq", before).toArray();
      },
    );
    return rows;
  });
}

const actions = (row: Row): string[] =>
  (JSON.parse(row.body) as Array<{ kind: string; body: { action: string } }>).map((p) => p.body.action);

describe("a unit's history records", () => {
  it("leave as one row in write order, and reach D1 each under its own id", async () => {
    const product = "history-group-one";
    await submit(product, { title: "binds the coordinator" });
    const rows = await unitRows(product, (tx) => {
      for (const a of ["g.first", "g.second", "g.third"]) enqueueAudit(tx, "op", a, "target");
    });
    expect(rows.map((r) => r.kind)).toEqual(["history"]);
    expect(actions(rows[0]!)).toEqual(["g.first", "g.second", "g.third"]);
    const audit = await until(
      () =>
        api<{ items: Array<{ id: string; action: string }> }>("GET", `${P(product)}/history?kind=audit&limit=500`, {
          token: ADMIN,
        }),
      (r) => r.body.items.filter((i) => i.action.startsWith("g.")).length === 3,
    );
    const ours = audit.body.items.filter((i) => i.action.startsWith("g."));
    expect(new Set(ours.map((i) => i.id)).size).toBe(3);
  });

  it("a single record stays a row of its own kind", async () => {
    const product = "history-group-single";
    await submit(product, { title: "binds the coordinator" });
    const rows = await unitRows(product, (tx) => enqueueAudit(tx, "op", "alone", "target"));
    expect(rows.map((r) => r.kind)).toEqual(["audit"]);
  });

  it("a nested part that throws drops only its records; a refused unit writes none", async () => {
    const product = "history-group-rollback";
    await submit(product, { title: "binds the coordinator" });
    const rows = await unitRows(product, (tx, units) => {
      enqueueAudit(tx, "op", "n.kept-before", "t");
      try {
        units.nested(() => {
          enqueueAudit(tx, "op", "n.dropped", "t");
          throw new DomainError("validation_failed", "refused part");
        });
      } catch {
        // The refused part alone is undone, as a batch does with a refused frame (factories/batch).
      }
      units.nested(() => enqueueAudit(tx, "op", "n.nested-kept", "t"));
      enqueueAudit(tx, "op", "n.kept-after", "t");
    });
    expect(rows.map((r) => r.kind)).toEqual(["history"]);
    expect(actions(rows[0]!)).toEqual(["n.kept-before", "n.nested-kept", "n.kept-after"]);

    const refused = await unitRows(product, (tx) => {
      enqueueAudit(tx, "op", "r.never", "t");
      throw new DomainError("validation_failed", "refused unit");
    });
    expect(refused).toEqual([]);
    // Nothing gathered leaks into the next unit either.
    const next = await unitRows(product, (tx) => enqueueAudit(tx, "op", "r.next", "t"));
    expect(next.map((r) => r.body.includes("r.never"))).toEqual([false]);
  });

  it("a unit writing more than a group holds writes several, each within GROUP_BYTES, none lost", async () => {
    const product = "history-group-split";
    await submit(product, { title: "binds the coordinator" });
    const rows = await unitRows(product, (tx) => {
      for (let i = 0; i < 100; i++) enqueueAudit(tx, "op", `s.${i}`, "t", { pad: "x".repeat(2_000) });
    });
    expect(rows.length).toBeGreaterThan(2);
    for (const r of rows) expect(new TextEncoder().encode(r.body).length).toBeLessThanOrEqual(GROUP_BYTES + 4_096);
    expect(rows.flatMap((r) => (r.kind === "history" ? actions(r) : [JSON.parse(r.body).action]))).toEqual(
      Array.from({ length: 100 }, (_, i) => `s.${i}`),
    );
  });
});
