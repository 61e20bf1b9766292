// `GET …/health` (policies/health-summary `productHealthAnswer`) lists the product's factories once per read: the
// health counts and the `disconnected` count (factories/fleet-view `linkEndedIds`) are read off one list — it was
// listed twice, each list a pass over every factory's record and a count of every live lease. Counted, not timed:
// the statements that list the factories, through a handle that records each one it runs.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { productHealthAnswer } from "../../src/durable-objects/coordinator/policies/health-summary.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import { enroll } from "./client.ts";

/** `sql`, recording every statement it runs into `seen`. */
function recording(sql: SqlStorage, seen: string[]): SqlStorage {
  return new Proxy(sql, {
    get(target, key) {
      if (key === "exec")
        return (query: string, ...bindings: SqlStorageValue[]) => {
          seen.push(query);
          return target.exec(query, ...bindings);
        };
      const v = Reflect.get(target, key) as unknown;
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe("GET …/health's factory counts", () => {
  it("read the factory list once", async () => {
    const product = "health-factories-once";
    await enroll(product, "one", [], 1);
    await enroll(product, "two", [], 1);
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const seen: string[] = [];
      const tx: Tx = { sql: recording(state.storage.sql, seen), productId: product, now: Date.now() };
      const answer = productHealthAnswer(tx, new Set());
      return { lists: seen.filter((q) => /SELECT doc FROM factories ORDER BY/.test(q)).length, answer };
    });
    expect(out.answer.factories).toMatchObject({ disconnected: 0 });
    expect(out.lists).toBe(1);
  });
});
