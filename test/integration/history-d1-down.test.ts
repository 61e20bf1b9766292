// `GET …/history` while D1 cannot be read (a real D1 failure: the table it reads is renamed away for the while) is a
// 503 `unavailable` problem+json that says to try again — for a browse and for a follow — not the 500 "unexpected
// error" of a bug, which the D1 error had escaped as; once D1 is back the same read is a 200 with the rows.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { writeHistory } from "../../src/history/write.ts";
import { encodeHistoryCursor } from "../../src/shared/history-cursor.ts";
import { ADMIN, api, P } from "./client";
import { createProductLanded, PRODUCT_CREATE } from "./history-wait.ts";

const product = "history-d1-down";

describe("GET …/history while D1 is failing", () => {
  it("is a 503 unavailable saying to try again, for a browse and a follow; a 200 once D1 is back", async () => {
    // Its product.create landed first: landing while D1 was away it was retried, and the read after had it or not.
    await createProductLanded(product);
    // At seq 1001: an entry's id is its product and seq, and its product.create is seq 1 (kept once, idempotent).
    await writeHistory(env.DB, [
      { productId: product, seq: 1001, kind: "audit", body: { at: 1, actor: "op", action: "kept", target: "t" } },
    ]);
    const reads = ["", `&cursor=${encodeHistoryCursor({ k: "audit", s: 0 })}`];
    const read = (extra: string) =>
      api<{ code: string; detail: string; items: Array<{ action: string }> }>(
        "GET",
        `${P(product)}/history?kind=audit${extra}`,
        { token: ADMIN },
      );
    await env.DB.exec("ALTER TABLE audit_log RENAME TO audit_log_away");
    const down: Array<{ status: number; code: string; detail: string; type: string | null }> = [];
    try {
      for (const extra of reads) {
        const r = await read(extra);
        down.push({ status: r.status, code: r.body.code, detail: r.body.detail, type: r.headers.get("content-type") });
      }
    } finally {
      await env.DB.exec("ALTER TABLE audit_log_away RENAME TO audit_log");
    }
    for (const d of down) {
      expect(d).toMatchObject({ status: 503, code: "unavailable", type: "application/problem+json" });
      expect(d.detail).toMatch(/try again/);
    }
    // A browse in time order (the entry written at 1 ms first), a follow in the order rows reached D1.
    const back = [];
    for (const extra of reads) {
      const r = await read(extra);
      back.push([r.status, r.body.items.map((i) => i.action)]);
    }
    expect(back).toEqual([
      [200, ["kept", PRODUCT_CREATE]],
      [200, [PRODUCT_CREATE, "kept"]],
    ]);
  });
});
