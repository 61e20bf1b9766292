// Whether a product exists is the admin's to know: on every product-scoped operation of the OpenAPI document, a
// caller with no token, a malformed or unknown token, a token of another product, or a forged feed ticket gets the
// very same answer (status, code and detail, the product's name aside) for a product that exists and for one that
// was never created — and nothing is created by asking.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { OPS } from "../../src/worker/openapi";
import { ADMIN, api, P, rawApi, submit } from "./client";

const REAL = "exists-real";
const GHOST = "exists-ghost";

const PRODUCT_OPS = OPS.filter((op) => op.path.includes("{productId}"));

/** The answer as a stranger could compare it: the product's name replaced, so only a difference in kind shows. */
async function answer(product: string, op: (typeof OPS)[number], token: string | undefined, ticket: boolean) {
  const path = op.path.replace(/\{(\w+)\}/g, (_m, n: string) => (n === "productId" ? product : "x"));
  const query = ticket && op.path.includes("/events/") ? `?ticket=${"A".repeat(40)}.${"B".repeat(43)}` : "";
  const r = await rawApi(op.method.toUpperCase(), `${path}${query}`, {
    ...(token ? { token } : {}),
    ...(op.path.endsWith("/events/ws") ? { headers: { upgrade: "websocket" } } : {}),
    ...(op.method === "get" || op.method === "delete" ? {} : { json: {} }),
  });
  return JSON.stringify({ status: r.status, body: r.body }).replaceAll(product, "<product>");
}

describe("a stranger cannot tell a product that exists from one that does not", () => {
  it("answers every product-scoped route alike for both, whatever the stranger sends", async () => {
    await submit(REAL, { title: "real" });
    const other = await api<{ token: string }>("POST", `${P("exists-other")}/tokens`, {
      token: ADMIN,
      json: { role: "operator", name: "other" },
    });
    const strangers: Record<string, { token?: string; ticket: boolean }> = {
      none: { ticket: false },
      forgedTicket: { ticket: true },
      unknown: { token: "nope", ticket: false },
      shapedLikeReal: { token: `gf_${REAL}_${"A".repeat(43)}`, ticket: false },
      otherProduct: { token: other.body.token, ticket: false },
    };
    const differ: string[] = [];
    for (const op of PRODUCT_OPS) {
      for (const [who, s] of Object.entries(strangers)) {
        const [real, ghost] = await Promise.all([
          answer(REAL, op, s.token, s.ticket),
          answer(GHOST, op, s.token, s.ticket),
        ]);
        if (real !== ghost) differ.push(`${who} ${op.method} ${op.path}: ${real} ≠ ${ghost}`);
        expect(real, `${who} ${op.method} ${op.path}`).toMatch(/"status":40[13]/);
      }
    }
    expect(differ).toEqual([]);
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM products WHERE id = ?")
      .bind(GHOST)
      .first<{ n: number }>();
    expect(row?.n).toBe(0);
  });
});
