// Audit entries of one millisecond are listed in the order they were written: by their outbox seq, then their part
// in a unit's group (history/schema `audit_log.seq`, `.part`), as numbers. Ordered by the id's TEXT
// (`<product>:<seq>[.<part>]`), seq 10 came before seq 9 and part 10 before part 9. A cursor issued before the
// numeric key (`{k:"audit", at, id}`) still continues right after its row, and migration 0005 derives seq and part
// of the rows D1 held before from their ids.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { type HistoryRecord, writeHistory } from "../../src/history/write.ts";
import { ADMIN, api, createProduct, P } from "./client";
import { createProductLanded, PRODUCT_CREATE } from "./history-wait.ts";

const product = "audit-order";
const AT = 1_700_000_000_000;

type Page = {
  items: Array<{ id: string; action: string; seq: number; part: number }>;
  nextCursor?: string;
  more: boolean;
};

const audit = (seq: number, action: string, part?: number): HistoryRecord => ({
  productId: product,
  seq,
  ...(part === undefined ? {} : { part }),
  kind: "audit",
  body: { at: AT, actor: "op", action, target: "t" },
});

/** Every audit entry of `product`, paged `limit` at a time after `cursor`. */
async function all(limit: number, cursor?: string, of = product): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < 50; i++) {
    const q = `kind=audit&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`;
    const r = await api<Page>("GET", `${P(of)}/history?${q}`, { token: ADMIN });
    expect(r.status).toBe(200);
    out.push(...r.body.items.map((x) => x.action));
    if (!r.body.more) return out;
    cursor = r.body.nextCursor;
  }
  throw new Error("too many pages");
}

// Written in an order that is neither: seqs 8..12 alone, then seq 20's group of 12 parts.
const WRITTEN = [audit(12, "s12"), audit(9, "s9"), audit(10, "s10"), audit(8, "s8"), audit(11, "s11")];
for (const part of [11, 10, 9, 2, 1, 0, 3, 4, 5, 6, 7, 8]) WRITTEN.push(audit(20, `g${part}`, part));
// Last, the product's own creation: written now, long after AT, and in D1 before any read (`createProductLanded`) —
// landing while the file ran, it was on some pages and not others, by timing (a file of 130 ms alone, seconds loaded).
const EXPECTED = ["s8", "s9", "s10", "s11", "s12", ...Array.from({ length: 12 }, (_, i) => `g${i}`), PRODUCT_CREATE];

beforeAll(async () => {
  await createProductLanded(product);
  await writeHistory(env.DB, WRITTEN);
});

describe("audit order within one millisecond", () => {
  it("lists by seq, then part, as numbers — on one page and paged by cursor", async () => {
    expect(await all(500)).toEqual(EXPECTED);
    expect(await all(3)).toEqual(EXPECTED);
  });

  it("a cursor issued before the numeric key ({k, at, id}) continues right after its row", async () => {
    const b64 = (v: unknown) => btoa(JSON.stringify(v)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    expect(await all(4, b64({ k: "audit", at: AT, id: `${product}:9` }))).toEqual(EXPECTED.slice(2));
    expect(await all(4, b64({ k: "audit", at: AT, id: `${product}:20.9` }))).toEqual(["g10", "g11", PRODUCT_CREATE]);
    // An id that is no audit id of this API is refused, as any cursor it never issued.
    const r = await api<{ code: string }>(
      "GET",
      `${P(product)}/history?kind=audit&cursor=${b64({ k: "audit", at: AT, id: "x:y" })}`,
      {
        token: ADMIN,
      },
    );
    expect([r.status, r.body.code]).toEqual([400, "validation_failed"]);
  });

  it("migration 0005 gives the rows D1 held before it their seq and part, from their ids", async () => {
    const other = "audit-backfill";
    await createProduct(other);
    const ids = [`${other}:9`, `${other}:10`, `${other}:7.10`, `${other}:7.9`, `${other}:7`];
    // Rows as the schema before 0005 wrote them: no seq, no part (their columns' defaults).
    await env.DB.batch(
      ids.map((id, i) =>
        env.DB.prepare(
          "INSERT INTO audit_log (id, product_id, at, actor, action, target, detail) VALUES (?, ?, ?, 'op', ?, 't', '{}')",
        ).bind(id, other, AT, `b${i}`),
      ),
    );
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0005_"));
    const backfill = (migration?.queries ?? []).filter((q) => /^\s*UPDATE/i.test(q));
    expect(backfill.length).toBeGreaterThan(0);
    for (const q of backfill) await env.DB.prepare(q).run();
    // The rows written here, not its product.create, which the outbox delivers in its own time.
    const rows = await env.DB.prepare(
      "SELECT id, seq, part FROM audit_log WHERE product_id = ? AND at = ? ORDER BY at, seq, part",
    )
      .bind(other, AT)
      .all<{ id: string; seq: number; part: number }>();
    expect(rows.results).toEqual([
      { id: `${other}:7`, seq: 7, part: 0 },
      { id: `${other}:7.9`, seq: 7, part: 9 },
      { id: `${other}:7.10`, seq: 7, part: 10 },
      { id: `${other}:9`, seq: 9, part: 0 },
      { id: `${other}:10`, seq: 10, part: 0 },
    ]);
    // The backfill leaves the rows written since untouched.
    expect(await all(500)).toEqual(EXPECTED);
  });

  it("the index serves the page's order and seek, of the whole log and of one target (jobId), with no sort", async () => {
    const plan = async (target: boolean) => {
      const where = `product_id = ? AND at >= 0${target ? " AND target = 't'" : ""} AND (at, seq, part) > (?, 9, 0)`;
      const r = await env.DB.prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM audit_log WHERE ${where} ORDER BY at, seq, part LIMIT 101`,
      )
        .bind(product, AT)
        .all<{ detail: string }>();
      return r.results.map((x) => x.detail).join(" | ");
    };
    expect(await plan(false)).toMatch(/USING INDEX audit_by_time_seq/);
    expect(await plan(true)).toMatch(/USING INDEX audit_by_target_time_seq/);
    expect(await plan(false)).not.toMatch(/TEMP B-TREE/);
    expect(await plan(true)).not.toMatch(/TEMP B-TREE/);
  });
});
