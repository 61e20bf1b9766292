// How many statements a unit of a coordinator runs that write a factory's record: the one-write-per-unit tests
// (factory-record-writes, lease-expiry-writes) count writes, never time. Both files wrote this handle out.
import { env, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { Isolate } from "../../src/durable-objects/coordinator/factories/batch.ts";
import { forgetAllCachedFactories } from "../../src/durable-objects/coordinator/factories/cache.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";

const WRITES_FACTORY = /^\s*(UPDATE|INSERT INTO) factories\b/;

/**
 * Runs `fn` as one unit of `product`'s coordinator through a handle that counts the statements writing `factories`;
 * `isolate` is the unit's savepoint (runtime/units `nested`), as a batch frame's unit gives it.
 * @returns that count (the unit must commit: a rolled-back one fails the test)
 */
export async function factoryWritesOf(product: string, fn: (tx: Tx, isolate: Isolate) => void): Promise<number> {
  return runInDurableObject(env.COORDINATOR.getByName(product), async (instance) => {
    const units = (instance as unknown as { units: Units }).units;
    let writes = 0;
    const outcome = await units.run(product, (tx) => {
      const sql = new Proxy(tx.sql, {
        get(target, key) {
          if (key === "exec")
            return (query: string, ...bindings: unknown[]) => {
              if (WRITES_FACTORY.test(query)) writes++;
              return target.exec(query, ...bindings);
            };
          const v = Reflect.get(target, key, target) as unknown;
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
      fn({ ...tx, sql }, (part) => units.nested(part));
    });
    expect(outcome.ok).toBe(true);
    forgetAllCachedFactories(units.sql); // the counting handle's writes did not reach the real handle's cache
    return writes;
  });
}
