// `GET …/routing/track-records` narrowed (workerd, real DO storage): without a query, every stored record (callers
// that want the whole list keep it); `factoryId` answers only that factory's records — an id of another product's
// factory, or one with no records, answers an empty list (200, not a 403 that would say the id exists elsewhere);
// `perFactory=N` answers each factory's N records with the most runs (ties by engine|jobClass) — what a fleet card
// shows, so the dashboard's 30 s poll is not sent every record of the product. A malformed id, a `perFactory` of 0,
// past 100 or not digits, the same parameter twice, or an unknown parameter is a 400 problem+json; a viewer may read.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addToRecord, type KeyedRecord } from "../../src/durable-objects/coordinator/policies/track-records.ts";
import { ADMIN, api, enroll, mintToken, P } from "./client.ts";

type Records = { records: KeyedRecord[] };
type Problem = { status: number; code: string; title: string; detail: string };

/** Counts `runs` successful runs of (factory, engine, class) into the product's track records, as run ends do. */
async function seed(product: string, factoryId: string, engine: string, jobClass: string, runs: number) {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    const tx = { sql: state.storage.sql, productId: product, now: Date.now() };
    for (let i = 0; i < runs; i++)
      addToRecord(tx, { factoryId, engine, jobClass }, { ok: true, durationMs: 1 }, tx.now);
  });
}

const read = (product: string, query = "", token = ADMIN) =>
  api<Records & Problem>("GET", `${P(product)}/routing/track-records${query}`, { token });
const keys = (r: Records) => r.records.map((x) => `${x.factoryId} ${x.engine}|${x.jobClass} n=${x.record.n}`);

describe("GET …/routing/track-records narrowed by factory and per factory", () => {
  it("answers everything without a query, one factory's records with factoryId, the top N each with perFactory", async () => {
    const product = "track-filters";
    const a = (await enroll(product, "a")).factoryId;
    const b = (await enroll(product, "b")).factoryId;
    await seed(product, a, "codex", "lang:go", 3);
    await seed(product, a, "claude", "lang:go", 1);
    await seed(product, a, "*", "lang:ts", 5);
    await seed(product, a, "codex", "lang:ts", 3); // ties codex|lang:go at n=3: "codex|lang:go" sorts first
    await seed(product, b, "codex", "lang:rust", 2);

    const all = await read(product);
    expect(all.status).toBe(200);
    expect(all.body.records).toHaveLength(5);

    const own = await read(product, `?factoryId=${a}`);
    expect(own.status).toBe(200);
    expect(own.body.records.map((r) => r.factoryId)).toEqual([a, a, a, a]);
    expect(own.body.records).toEqual(all.body.records.filter((r) => r.factoryId === a));

    const top = await read(product, "?perFactory=2");
    expect(keys(top.body).sort()).toEqual(
      [`${a} *|lang:ts n=5`, `${a} codex|lang:go n=3`, `${b} codex|lang:rust n=2`].sort(),
    );
    const both = await read(product, `?factoryId=${b}&perFactory=1`);
    expect(keys(both.body)).toEqual([`${b} codex|lang:rust n=2`]);

    // A viewer reads them too, narrowed the same way.
    const viewer = (await mintToken(product, "viewer")).token;
    expect(keys((await read(product, `?factoryId=${a}&perFactory=1`, viewer)).body)).toEqual([`${a} *|lang:ts n=5`]);
  });

  it("answers an empty list for another product's factory or one without records; refuses malformed queries", async () => {
    const product = "track-filters-bad";
    const mine = (await enroll(product, "mine")).factoryId;
    const idle = (await enroll(product, "idle")).factoryId;
    await seed(product, mine, "codex", "lang:go", 2);
    const theirs = (await enroll("track-filters-other", "theirs")).factoryId;
    await seed("track-filters-other", theirs, "codex", "lang:go", 2);

    for (const id of [theirs, idle, "fac_never_enrolled"]) {
      const r = await read(product, `?factoryId=${id}`);
      expect([r.status, r.body.records], id).toEqual([200, []]);
    }
    for (const query of [
      "?factoryId=not%20an%20id",
      `?factoryId=${"x".repeat(65)}`,
      "?factoryId=",
      "?perFactory=0",
      "?perFactory=101",
      "?perFactory=four",
      "?perFactory=-1",
      `?factoryId=${mine}&factoryId=${idle}`,
      "?factory=abc",
    ]) {
      const r = await read(product, query);
      expect([r.status, r.body.code], query).toEqual([400, "validation_failed"]);
      expect(r.headers.get("content-type"), query).toMatch(/^application\/problem\+json/);
      expect(r.body.detail, query).toEqual(expect.any(String));
    }
  });
});
