// A bulk batch's items that each close a cycle through a long chain of live jobs are refused each with the cycle
// named within bounds (core/dag `namedCycle`): 50 items under a parent, each waiting on the end of a 3,000-job chain
// that waits on that parent, made a 5 MB answer (the whole cycle per item; a batch may hold 10,000 items).
import { describe, expect, it } from "vitest";
import { MAX_CYCLE_NAMED } from "../../src/core/dag.ts";
import { ADMIN, api, P, submit } from "./client.ts";
import { CHAIN, link, seedBlockedChain } from "./dag-seed.ts";

describe("a bulk batch's cycles through a long chain", () => {
  it("are refused per item, each named by its first jobs and how many more", async () => {
    const product = "bulk-cycle-bound";
    const parent = await submit(product, { title: "parent" });
    await seedBlockedChain(product, parent.id);
    const items = Array.from({ length: 50 }, (_, i) => ({
      manifest: { title: `item ${i}`, parentId: parent.id, deps: [link(CHAIN)] },
    }));
    const r = await api<{ accepted: number; rejected: Array<{ code: string; detail: string }> }>(
      "POST",
      `${P(product)}/jobs:batch`,
      { token: ADMIN, json: { items } },
    );
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(0);
    expect(r.body.rejected).toHaveLength(50);
    expect(JSON.stringify(r.body).length).toBeLessThan(100_000);
    for (const item of r.body.rejected) {
      expect(item.code).toBe("validation_failed");
      expect(item.detail).toContain(`… ${CHAIN + 2 - MAX_CYCLE_NAMED} more … → (this job)`);
    }
  });
});
