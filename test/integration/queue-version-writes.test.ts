// The queue version is written once per unit, at its commit, with the value it would have had written once per
// move: a bulk submit of five jobs writes its row once and moves it by five, every reader inside the unit sees each
// bump as it happens, a savepoint that throws takes only its own bumps along, and a rolled-back unit leaves the
// version as it was, stored and in memory (issue 12: a 250-job batch wrote the row 250 times).

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Outcome } from "../../src/core/errors.ts";
import { validateManifest } from "../../src/core/manifest.ts";
import { submitEach } from "../../src/durable-objects/coordinator/jobs/submit.ts";
import { bumpQueueVersion, queueVersion, setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { recordStatements } from "./state";

class RollBack extends Error {}

const stored = (sql: SqlStorage) =>
  Number(sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'queue_version'").toArray()[0]?.value ?? 0);

/** The coordinator of `product`, bound to it, and its units. */
async function inCoordinator(
  product: string,
  fn: (units: Units, state: DurableObjectState) => void | Promise<void>,
): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
    setMeta(state.storage.sql, "product_id", product);
    const units = (instance as unknown as { units: Units }).units;
    units.productId = product;
    await fn(units, state);
  });
}

describe("the queue version's writes", () => {
  it("a bulk submit writes the row once and moves it by one per job, each bump seen inside the unit", async () => {
    await inCoordinator("qv-bulk", async (units, state) => {
      const before = queueVersion(units.sql);
      const inputs = [1, 2, 3, 4, 5].map((n) => ({ manifest: validateManifest({ title: `job ${n}` }), bodyMd: "" }));
      const stop = recordStatements(state);
      let seen: string[] = [];
      let outcome: Outcome<number[]> | undefined;
      try {
        outcome = await units.run("qv-bulk", (tx) => {
          const results = submitEach(tx, inputs, "admin");
          expect(results.every((r) => r.ok)).toBe(true);
          const versions = [queueVersion(tx.sql)];
          versions.push(bumpQueueVersion(tx.sql), queueVersion(tx.sql));
          return versions;
        });
      } finally {
        seen = stop();
      }
      expect(outcome?.ok && outcome.value).toEqual([before + 5, before + 6, before + 6]);
      expect(seen.filter((q) => /INTO meta\b/.test(q))).toHaveLength(1);
      expect(stored(units.sql)).toBe(before + 6);
    });
  });

  it("a savepoint that throws drops only its own bumps; one bumped before it is kept", async () => {
    await inCoordinator("qv-nested", (units) => {
      const before = queueVersion(units.sql);
      units.transact((tx) => {
        bumpQueueVersion(tx.sql);
        expect(() =>
          units.nested(() => {
            bumpQueueVersion(tx.sql);
            expect(queueVersion(tx.sql)).toBe(before + 2);
            throw new RollBack("one refused frame");
          }),
        ).toThrow(RollBack);
        expect(queueVersion(tx.sql)).toBe(before + 1);
        units.nested(() => bumpQueueVersion(tx.sql));
        expect(queueVersion(tx.sql)).toBe(before + 2);
      });
      expect(stored(units.sql)).toBe(before + 2);
      expect(queueVersion(units.sql)).toBe(before + 2);
    });
  });

  it("a unit that throws leaves the version as it was, stored and in memory", async () => {
    await inCoordinator("qv-rollback", (units) => {
      units.transact((tx) => bumpQueueVersion(tx.sql));
      const before = queueVersion(units.sql);
      expect(() =>
        units.transact((tx) => {
          bumpQueueVersion(tx.sql);
          bumpQueueVersion(tx.sql);
          throw new RollBack("undo it");
        }),
      ).toThrow(RollBack);
      expect(queueVersion(units.sql)).toBe(before);
      expect(stored(units.sql)).toBe(before);
      units.transact((tx) => expect(bumpQueueVersion(tx.sql)).toBe(before + 1));
      expect(stored(units.sql)).toBe(before + 1);
    });
  });
});
