// `GET …/history` pages by keyset (shared/history-cursor): a page's `nextCursor` continues strictly after its last
// row. With only an inclusive `since`, a client resuming from the last row's time got that row again, and more than
// `limit` rows in one millisecond could never be paged past. Here 250 rows of each kind share ONE millisecond:
// paged 100 at a time by cursor, every row comes exactly once, in key order; a cursor that is not one the API
// issued (or of another kind) is a 400 problem+json, never a 5xx.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { type HistoryRecord, writeHistory } from "../../src/history/write.ts";
import { encodeHistoryCursor } from "../../src/shared/history-cursor.ts";
import { ADMIN, api, P } from "./client";
import { createProductLanded } from "./history-wait.ts";

const product = "history-cursor";
const AT = 1_700_000_000_000;
const N = 250;
/**
 * Rows of each kind: the N written here, and for the audit log the product's own `product.create`, in D1 before any
 * read (`createProductLanded`) — landing while the file ran, it was in some reads and not others, by timing.
 */
const ROWS: Record<string, number> = { snapshots: N, runs: N, audit: N + 1 };

type Page = { kind: string; items: Array<Record<string, unknown>>; nextCursor?: string; more: boolean };

/** Every page of one kind, following `nextCursor` while `more`; the pages' items in order. */
async function pageAll(kind: string, limit: number, extra = ""): Promise<{ items: Page["items"]; pages: number }> {
  const items: Page["items"] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages <= 20; pages++) {
    const q = `kind=${kind}&limit=${limit}${extra}${cursor ? `&cursor=${cursor}` : ""}`;
    const r = await api<Page>("GET", `${P(product)}/history?${q}`, { token: ADMIN });
    expect(r.status).toBe(200);
    items.push(...r.body.items);
    if (!r.body.more) return { items, pages };
    cursor = r.body.nextCursor;
  }
  throw new Error("more than 20 pages");
}

beforeAll(async () => {
  await createProductLanded(product);
  const records: HistoryRecord[] = [];
  for (let i = 0; i < N; i++) {
    // Ten jobs of 25 revisions each: revs 9 and 10 of one job in the same ms must stay in rev order.
    const snapshot = {
      jobId: `j${i % 10}`,
      rev: Math.floor(i / 10) + 1,
      stage: "queued",
      title: "t",
      priority: "medium",
    };
    records.push({
      productId: product,
      seq: 3 * i + 1,
      kind: "snapshot",
      body: { ...snapshot, attempt: 0, at: AT, doc: {} },
    });
    records.push({
      productId: product,
      seq: 3 * i + 2,
      kind: "audit",
      body: { at: AT, actor: "op", action: `a${i}`, target: "j" },
    });
    const run = { jobId: `r${i}`, attempt: 1, factoryId: "f", leaseEpoch: 1, startedAt: AT };
    records.push({ productId: product, seq: 3 * i + 3, kind: "run", body: run });
  }
  await writeHistory(env.DB, records);
});

describe("history keyset pagination", () => {
  it("pages past more than `limit` rows of one millisecond, every row exactly once, for each kind", async () => {
    for (const kind of ["snapshots", "runs", "audit"]) {
      const { items, pages } = await pageAll(kind, 100);
      expect(pages).toBe(3);
      const ids = items.map((r) => r.id);
      expect(new Set(ids).size).toBe(ROWS[kind]);
      expect(ids).toHaveLength(ROWS[kind]!);
    }
  });

  it("orders snapshots of one millisecond by job, then revision (not by the id's text)", async () => {
    const { items } = await pageAll("snapshots", 100, "&jobId=j3");
    expect(items.map((r) => r.rev)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it("an empty page read with a cursor gives the cursor back, so a follower keeps its place", async () => {
    const first = await api<Page>("GET", `${P(product)}/history?kind=audit&limit=500`, { token: ADMIN });
    expect(first.body).toMatchObject({ more: false });
    expect(first.body.items).toHaveLength(ROWS.audit!);
    const after = await api<Page>("GET", `${P(product)}/history?kind=audit&cursor=${first.body.nextCursor}`, {
      token: ADMIN,
    });
    expect(after.body).toEqual({ kind: "audit", items: [], more: false, nextCursor: first.body.nextCursor });
  });

  it("`since` still works without a cursor: inclusive, oldest first", async () => {
    const r = await api<Page>("GET", `${P(product)}/history?kind=runs&since=${AT}&limit=5`, { token: ADMIN });
    expect(r.body.items).toHaveLength(5);
    expect(r.body.more).toBe(true);
    const later = await api<Page>("GET", `${P(product)}/history?kind=runs&since=${AT + 1}`, { token: ADMIN });
    expect(later.body.items).toEqual([]);
  });

  it("a malformed cursor, or one of another kind, is a 400 problem+json", async () => {
    const b64 = (s: string) => btoa(s).replace(/=+$/, "");
    const bad = [
      "not!base64",
      "%E2%82%AC",
      b64("not json"),
      b64(JSON.stringify({ k: "audit", at: -1, id: "x" })),
      b64(JSON.stringify({ k: "audit", at: 1, id: "" })),
      b64(JSON.stringify({ k: "audit", at: 1, id: "x", extra: 1 })),
      b64(JSON.stringify({ k: "nope", at: 1, id: "x" })),
      b64(JSON.stringify([1, "x"])),
      "A".repeat(2000),
      encodeHistoryCursor({ k: "runs", at: 1, id: "x" }), // a runs cursor on the audit log
    ];
    for (const cursor of bad) {
      const r = await api<{ code: string; type: string }>("GET", `${P(product)}/history?kind=audit&cursor=${cursor}`, {
        token: ADMIN,
      });
      expect([cursor.slice(0, 40), r.status]).toEqual([cursor.slice(0, 40), 400]);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body.code).toBe("validation_failed");
    }
  });
});
