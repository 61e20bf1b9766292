// `GET …/history` at its boundary: every query parameter refused with a 400 problem+json when it is not one the API
// takes (never a 5xx), and every read scoped to the product of the path — a token of another product, or a cursor
// issued for another product's history, reads nothing of this one. Rows written straight to D1 keep their own ids
// beside the coordinator's (its `product.create` is not overwritten, nor overwrites them).
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { writeHistory } from "../../src/history/write.ts";
import { encodeHistoryCursor } from "../../src/shared/history-cursor.ts";
import { ADMIN, api, P } from "./client";
import { createProductLanded, PRODUCT_CREATE } from "./history-wait.ts";

const A = "hq-a";
const B = "hq-b";

// Each product's own rows take seqs past its coordinator's: an entry's id is its product and seq, so a seq 1 here was
// the same row as the product's `product.create` (seq 1), and one of the two was silently dropped. That entry lands
// first (`createProductLanded`), so nothing lands while the file reads.
const SEQ = 1000;

beforeAll(async () => {
  for (const p of [A, B]) {
    await createProductLanded(p);
    await writeHistory(env.DB, [
      { productId: p, seq: SEQ + 1, kind: "audit", body: { at: 5, actor: "op", action: `${p}-act`, target: "j1" } },
      {
        productId: p,
        seq: SEQ + 2,
        kind: "run",
        body: { jobId: "j1", attempt: 1, factoryId: "f", leaseEpoch: 1, startedAt: 5 },
      },
      {
        productId: p,
        seq: SEQ + 3,
        kind: "snapshot",
        body: { jobId: "j1", rev: 1, stage: "queued", title: p, priority: "low", attempt: 0, at: 5, doc: {} },
      },
    ]);
  }
});

describe("history query validation", () => {
  it("refuses every malformed parameter with a 400 problem+json", async () => {
    const bad = [
      "kind=nope",
      "kind=",
      "limit=0",
      "limit=501",
      "limit=1.5",
      "limit=-1",
      "limit=abc",
      "limit=",
      "since=-1",
      "since=1e3",
      "since=",
      "since=99999999999999999",
      "jobId=",
      "jobId=a%2Fb",
      `jobId=${"x".repeat(65)}`,
      "jobId=%00",
      "cursor=",
      "cursor=%FF",
      "extra=1",
      `kind=runs&cursor=${encodeHistoryCursor({ k: "audit", at: 1, seq: 1, part: 0 })}`,
    ];
    for (const q of bad) {
      const r = await api<{ code: string; type: string; title: string }>("GET", `${P(A)}/history?${q}`, {
        token: ADMIN,
      });
      expect([q, r.status, r.headers.get("content-type")]).toEqual([q, 400, expect.stringContaining("problem+json")]);
      expect(r.body).toMatchObject({ code: "validation_failed", type: expect.any(String), title: expect.any(String) });
    }
  });

  it("takes the extremes it allows: limit 1 and 500, since 0 and the largest safe time", async () => {
    for (const q of ["limit=1", "limit=500", "since=0", `since=${Number.MAX_SAFE_INTEGER}`, "kind=audit&jobId=j1"]) {
      const r = await api("GET", `${P(A)}/history?${q}`, { token: ADMIN });
      expect([q, r.status]).toEqual([q, 200]);
    }
  });
});

/** The distinct products of a history page's rows, in order of first appearance. */
const productsOf = (items: Array<{ productId: string }>) => [...new Set(items.map((i) => i.productId))];

describe("history reads stay in their product", () => {
  it("a token of product B cannot read A's history", async () => {
    const viewer = await api<{ token: string }>("POST", `${P(B)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "v" },
    });
    for (const kind of ["snapshots", "runs", "audit"]) {
      const r = await api("GET", `${P(A)}/history?kind=${kind}`, { token: viewer.body.token });
      expect([kind, r.status]).toEqual([kind, 403]);
    }
  });

  it("holds the file's own audit entry beside the product's creation: neither took the other's id", async () => {
    const r = await api<{ items: Array<{ action: string }> }>("GET", `${P(A)}/history?kind=audit`, { token: ADMIN });
    expect(r.body.items.map((i) => i.action)).toEqual(expect.arrayContaining([`${A}-act`, PRODUCT_CREATE]));
  });

  it("every kind lists only its product's rows, with or without a cursor of the other product", async () => {
    for (const kind of ["snapshots", "runs", "audit"]) {
      const a = await api<{ items: Array<{ productId: string }>; nextCursor: string }>(
        "GET",
        `${P(A)}/history?kind=${kind}`,
        { token: ADMIN },
      );
      // Its rows and no other product's: B's audit may also hold what the outbox delivers in its own time (the viewer
      // token minted above; a fresh-clone run read it there), so the products are compared, not the rows.
      expect(productsOf(a.body.items)).toEqual([A]);
      // A cursor is a position only: on B, with A's cursor, nothing of A comes back.
      const b = await api<{ items: Array<{ productId: string }> }>(
        "GET",
        `${P(B)}/history?kind=${kind}&cursor=${a.body.nextCursor}`,
        { token: ADMIN },
      );
      expect(b.status).toBe(200);
      expect(b.body.items.every((i) => i.productId === B)).toBe(true);
      const all = await api<{ items: Array<{ productId: string }> }>("GET", `${P(B)}/history?kind=${kind}`, {
        token: ADMIN,
      });
      expect(productsOf(all.body.items)).toEqual([B]);
    }
  });
});
