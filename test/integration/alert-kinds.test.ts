// What the coordinator keeps in memory about live alerts (policies/alerts `mayHaveLive`): a clear of a kind with no
// live alert reads nothing, a raise marks its kind, and a rollback forgets it all — a resolution rolled back leaves
// the alert live, and the next clear still finds and resolves it. (Every move out of building or the queue clears
// `stuck` and `starving`, almost always never raised: issue 12, two reads per job.)
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clearAlert, raiseAlert } from "../../src/durable-objects/coordinator/policies/alerts.ts";
import { setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { recordStatements } from "./state";

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
