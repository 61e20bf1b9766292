// `GET …/jobs/{id}/tree` reads its nodes without their bodies (coordinator/dag/tree): a tree shows no body, yet it
// loaded every node's whole document, body and all — up to MAX_TREE_NODES documents of up to 256 KiB each, a quarter
// of a gigabyte parsed for one read of a large epic. Counted, not timed: the bytes the read's SQL statements hand
// back for 40 children with 64 KiB bodies stay far below the bodies' 2.5 MiB, and the tree is the same.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, addChildren, api, P, submit } from "./client.ts";

const BODY = "b".repeat(64 * 1024);
const KIDS = 40;

type Tree = { root: { id: string; children: Array<{ id: string; title: string; stage: string }> } };
type Cursor = { raw(): Iterable<unknown[]>; toArray(): unknown[]; one(): unknown };
type Counter = { stop?: () => number };

/** Starts summing the characters of every string value SQL statements return (rows read by raw, toArray, one). */
function countReadChars(state: DurableObjectState): () => number {
  const proto = Object.getPrototypeOf(state.storage.sql) as { exec: (q: string, ...a: unknown[]) => Cursor };
  const exec = proto.exec;
  let chars = 0;
  const add = (v: unknown): void => {
    if (typeof v === "string") chars += v.length;
    else if (Array.isArray(v)) for (const x of v) add(x);
    else if (v && typeof v === "object") for (const x of Object.values(v)) add(x);
  };
  proto.exec = function (this: unknown, q: string, ...b: unknown[]) {
    const cursor = exec.call(this, q, ...b);
    const { raw, toArray, one } = cursor;
    cursor.raw = function* () {
      for (const row of raw.call(cursor)) {
        add(row);
        yield row;
      }
    };
    cursor.toArray = () => {
      const rows = toArray.call(cursor);
      add(rows);
      return rows;
    };
    cursor.one = () => {
      const row = one.call(cursor);
      add(row);
      return row;
    };
    return cursor;
  };
  return () => {
    proto.exec = exec;
    return chars;
  };
}

describe("a tree of jobs with large bodies", () => {
  it("is read without the nodes' bodies", async () => {
    const product = "tree-bodies";
    const root = await submit(product, { title: "epic" });
    for (let i = 0; i < KIDS; i += 10) {
      const batch = Array.from({ length: 10 }, (_, k) => ({ title: `story ${i + k}`, bodyMd: BODY }));
      await addChildren(product, root.id, batch);
    }
    const stub = env.COORDINATOR.getByName(product);
    await runInDurableObject(stub, (_i, state) => {
      (globalThis as Counter).stop = countReadChars(state);
    });
    const tree = await api<Tree>("GET", `${P(product)}/jobs/${root.id}/tree`, { token: ADMIN });
    const chars = await runInDurableObject(stub, () => (globalThis as Counter).stop!());

    expect(tree.status).toBe(200);
    expect(tree.body.root.children).toHaveLength(KIDS);
    expect(tree.body.root.children[KIDS - 1]).toMatchObject({ title: `story ${KIDS - 1}`, stage: "queued" });
    expect(chars).toBeGreaterThan(0); // the counter saw the read
    expect(chars).toBeLessThan(BODY.length * 2); // not 40 bodies: at most a couple of stray reads' worth
  });
});
