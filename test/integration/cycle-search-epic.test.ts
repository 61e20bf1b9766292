// The cycle check of a new child stays bounded when its dep is a large live composite: a child waiting on an epic of
// 12,000 live jobs read every one of them (24,002 rows) on each submission. Past SEARCH_BUDGET jobs the check reads
// the jobs that wait on the child's parent instead (dag/cycle-reach): a sound child is accepted in a few thousand
// reads at most, and one that closes a cycle through the epic (its parent is below it) is refused with the cycle
// named along the parent's side. On random graphs in real storage, with budgets small enough to take every route
// (forward within budget, the parent's side, the whole search), it refuses exactly what the whole search refuses,
// and every cycle it names is one.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { findCycle } from "../../src/core/dag.ts";
import { assertAcyclic, storedWaitsOn } from "../../src/durable-objects/coordinator/dag/children.ts";
import { newCycle, SEARCH_BUDGET } from "../../src/durable-objects/coordinator/dag/cycle-reach.ts";
import { mulberry32 } from "../support/seeded-random.ts";
import { ADMIN, api, P, submit } from "./client.ts";
import { countingSql } from "./counting-sql.ts";
import { seedChildren } from "./dag-seed.ts";

/** An epic of 2,000 stories, the first five with 2,000 tasks each: 12,000 live jobs below it. */
async function seedEpic(product: string): Promise<string> {
  const epic = await submit(product, { title: "epic" });
  await seedChildren(product, epic.id, 2000, "job_story");
  for (let s = 1; s <= 5; s++) await seedChildren(product, `job_story_000${s}`, 2000, `job_task${s}`);
  return epic.id;
}

/** The reads of one cycle check: a new child `#0` of `parentId` waiting on `depId`; its verdict. */
async function check(product: string, parentId: string, depId: string) {
  return runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    const count = { reads: 0 };
    const edges = new Map([
      [parentId, ["#0"]],
      ["#0", [depId]],
    ]);
    try {
      assertAcyclic(countingSql(state.storage.sql, count), edges, ["#0"]);
      return { reads: count.reads, cycle: undefined };
    } catch (err) {
      return { reads: count.reads, cycle: (err as { details?: { cycle?: string[] } }).details?.cycle };
    }
  });
}

describe("the cycle check of a child waiting on a large live composite", () => {
  it("accepts a sound child within a bounded number of reads, through every way a child is made", async () => {
    const product = "cycle-epic-sound";
    const epic = await seedEpic(product);
    const parent = await submit(product, { title: "a task elsewhere" });
    const { reads, cycle } = await check(product, parent.id, epic);
    expect(cycle).toBeUndefined();
    // The forward search up to its budget (two reads a job), then the parent's waiters: none here.
    expect(reads).toBeLessThanOrEqual(2 * SEARCH_BUDGET + 4);
    const made = await api("POST", `${P(product)}/jobs/${parent.id}/children`, {
      token: ADMIN,
      json: { children: [{ title: "after the epic", deps: [epic] }] },
    });
    expect(made.status).toBe(201);
    expect((await submit(product, { title: "also after it", parentId: parent.id, deps: [epic] })).stage).toBe(
      "blocked",
    );
  });

  it("refuses a child whose parent is below the epic, naming the cycle along the parent's side", async () => {
    const product = "cycle-epic-below";
    const epic = await seedEpic(product);
    const story = "job_story_2000"; // the epic waits on it: a child of it waiting on the epic closes a cycle
    const { reads, cycle } = await check(product, story, epic);
    expect(cycle).toEqual(["#0", epic, story, "#0"]);
    expect(reads).toBeLessThanOrEqual(2 * SEARCH_BUDGET + 8);
    const refused = await api<{ code: string; cycle: string[] }>("POST", `${P(product)}/jobs/${story}/children`, {
      token: ADMIN,
      json: { children: [{ title: "waits on its own epic", deps: [epic] }] },
    });
    expect([refused.status, refused.body.code, refused.body.cycle]).toEqual([
      400,
      "validation_failed",
      ["#0", epic, story, "#0"],
    ]);
  });
});

describe("the bounded cycle check on random graphs", () => {
  it("refuses exactly what the whole search refuses, and names real cycles, on every route", async () => {
    const product = "cycle-reach-random";
    const template = await submit(product, { title: "template" });
    const random = mulberry32(20261204);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const STAGES = ["queued", "blocked", "blocked", "review", "failed", "dead_letter", "shipped", "cancelled"];
    const routes = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      const seen = { agree: 0, cycles: 0 };
      for (let trial = 0; trial < 150; trial++) {
        // Node i waits only on nodes below it (deps, and children: a parent's index is above its child's): acyclic.
        const N = 30;
        const id = (i: number) => `job_t${trial}_${i}`;
        const parentOf = Array.from({ length: N }, (_, j) =>
          random() < 0.5 && j < N - 1 ? id(j + 1 + Math.floor(random() * (N - 1 - j))) : null,
        );
        for (let i = 0; i < N; i++) {
          const deps = Array.from({ length: i }, (_, j) => j)
            .filter(() => random() < 0.1)
            .map(id);
          sql.exec(
            `INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, serial_key, rev, doc, cap_key, parent_id)
             SELECT ?1, ?2, priority_value, queued_at, created_at, serial_key, rev,
                    json_set(doc, '$.id', ?1, '$.stage', ?2, '$.deps', json(?3), '$.parentId', ?4), cap_key, ?4
               FROM jobs WHERE id = ?5`,
            id(i),
            pick(STAGES),
            JSON.stringify(deps),
            parentOf[i],
            template.id,
          );
          for (const d of deps) sql.exec("INSERT INTO job_deps(job_id, dep_id) VALUES (?, ?)", id(i), d);
        }
        const parent = id(Math.floor(random() * N));
        const labels = random() < 0.5 ? ["#0"] : ["#0", "#1"];
        const depsOf = () => Array.from({ length: 1 + Math.floor(random() * 3) }, () => id(Math.floor(random() * N)));
        const newEdges = new Map<string, string[]>([[parent, labels]]);
        newEdges.set("#0", [...depsOf(), ...(labels.length > 1 && random() < 0.5 ? ["#1"] : [])]);
        if (labels.length > 1) newEdges.set("#1", [...depsOf(), ...(random() < 0.2 ? ["#0"] : [])]);
        const neighbours = (n: string): readonly string[] =>
          labels.includes(n) ? (newEdges.get(n) ?? []) : [...(newEdges.get(n) ?? []), ...storedWaitsOn(sql, n)];
        const whole = findCycle(neighbours, labels);
        const bounded = newCycle(sql, newEdges, labels, neighbours, pick([1, 3, 8, 1000]));
        expect(bounded !== undefined).toBe(whole !== undefined);
        if (bounded) {
          expect(bounded.at(-1)).toBe(bounded[0]);
          for (let k = 0; k + 1 < bounded.length; k++) expect(neighbours(bounded[k]!)).toContain(bounded[k + 1]);
          seen.cycles++;
        }
        seen.agree++;
      }
      return seen;
    });
    expect(routes.agree).toBe(150);
    expect(routes.cycles).toBeGreaterThan(10); // the trials do close cycles, not only sound ones
  });
});
