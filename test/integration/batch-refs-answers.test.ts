// The bulk refs check's cycle answers (coordinator/jobs/batch-refs over jobs/batch-reach) are those of the plain
// rule, on random graphs in real storage: an item under P waiting on D is refused exactly when some dep reaches P
// over the stored edges (a job's deps, its children) and the edges of the batch's earlier sound items (their parent
// waits on their deps), and its refusal names the first such dep's path as a depth-first search in the edges' order
// finds it (`dependency cycle: (this job) → d → … → P → (this job)`) — the answers the search per item gave before
// the search was shared across parents, item for item.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { checkItemRefs, type ItemRefs } from "../../src/durable-objects/coordinator/jobs/batch-refs.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import { mulberry32 } from "../support/seeded-random.ts";
import { submit } from "./client.ts";

/** A seeded generator (mulberry32): the same graphs every run. */
function random(seed: number): (n: number) => number {
  const next = mulberry32(seed);
  return (n) => Math.floor(next() * n);
}

const JOBS = 60;
const ITEMS = 120;
const id = (i: number) => `job_g_${String(i).padStart(3, "0")}`;

/**
 * Stores JOBS jobs (copies of `base`, queued) whose edges all go from a lower number to a higher one (a job's
 * children and deps are numbered above it), so the stored graph is acyclic, as the product's is.
 */
function seedGraph(sql: SqlStorage, base: string, pick: (n: number) => number): void {
  for (let i = 0; i < JOBS; i++) {
    const parent = i > 0 && pick(2) === 0 ? id(pick(i)) : null;
    const deps =
      i < JOBS - 1 ? [...new Set(Array.from({ length: pick(3) }, () => id(i + 1 + pick(JOBS - 1 - i))))] : [];
    sql.exec(
      `INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, serial_key, rev, doc, cap_key, parent_id)
       SELECT ?1, stage, priority_value, queued_at, created_at + ?4, serial_key, rev,
              json_set(doc, '$.id', ?1, '$.deps', json(?3)), cap_key, ?2
         FROM jobs WHERE id = ?5`,
      id(i),
      parent,
      JSON.stringify(deps),
      i,
      base,
    );
  }
}

/** The plain rule: per item, a depth-first search from each dep in turn over the stored and the added edges. */
function expected(sql: SqlStorage, items: readonly ItemRefs[]): { want: Array<string | null>; viaBatch: number } {
  const added = new Map<string, string[]>();
  let batchEdges = true;
  let viaBatch = 0; // cycles that only the batch's earlier items close
  const waitsOn = (n: string): string[] => {
    const row = sql.exec<{ deps: string | null }>(
      "SELECT json_extract(doc, '$.deps') AS deps FROM jobs WHERE id = ?",
      n,
    );
    const deps = JSON.parse(row.toArray()[0]?.deps ?? "[]") as string[];
    const children = sql.exec<{ id: string }>("SELECT id FROM jobs WHERE parent_id = ?", n).toArray();
    return [...deps, ...children.map((r) => r.id), ...((batchEdges && added.get(n)) || [])];
  };
  const search = (n: string, target: string, seen: Set<string>): string[] | undefined => {
    if (n === target) return [n];
    seen.add(n);
    for (const m of waitsOn(n)) {
      const rest = seen.has(m) ? undefined : search(m, target, seen);
      if (rest) return [n, ...rest];
    }
    return undefined;
  };
  const want = items.map((item) => {
    for (const d of item.deps) {
      const path = search(d, item.parentId!, new Set());
      if (!path) continue;
      batchEdges = false;
      if (item.deps.every((e) => !search(e, item.parentId!, new Set()))) viaBatch++;
      batchEdges = true;
      return `dependency cycle: ${["(this job)", ...path, "(this job)"].join(" → ")}`;
    }
    added.set(item.parentId!, [...(added.get(item.parentId!) ?? []), ...item.deps]);
    return null;
  });
  return { want, viaBatch };
}

describe("the bulk refs check's cycle answers", () => {
  it.each([1, 2, 3, 4, 5, 6])("are the plain rule's, item for item, on random graph %i", async (seed) => {
    const product = `bulk-refs-answers-${seed}`;
    const base = await submit(product, { title: "base" });
    const pick = random(seed);
    const { got, want, viaBatch } = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      seedGraph(sql, base.id, pick);
      const items: ItemRefs[] = Array.from({ length: ITEMS }, () => ({
        deps: [...new Set(Array.from({ length: 1 + pick(3) }, () => id(pick(JOBS))))],
        depsMode: "all",
        parentId: id(pick(JOBS)),
      }));
      const tx: Tx = { sql, productId: product, now: Date.now() };
      return { got: checkItemRefs(tx, items).map((v) => v?.message ?? null), ...expected(sql, items) };
    });
    expect(got).toEqual(want);
    // The graphs make both answers common, and some cycles go through an earlier item's edges.
    expect(want.filter((w) => w === null).length).toBeGreaterThan(ITEMS / 10);
    expect(want.filter((w) => w !== null).length).toBeGreaterThan(ITEMS / 10);
    expect(viaBatch).toBeGreaterThan(0);
  });
});
