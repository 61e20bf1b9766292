// Creating a product is an admin action like minting a token, so it is in the audit trail: `product.create` by the
// admin, in the new product's own trail (which its viewers read), naming when it was created — exactly once however
// often a setup script creates it again (each call answers 200 and adds nothing).
import { describe, expect, it } from "vitest";
import { ADMIN, mintToken, rawApi } from "./client";
import { historyUntil } from "./history-wait.ts";

type Audit = { items: Array<{ action: string; actor: string; target: string; detail: Record<string, unknown> }> };

describe("product creation in the audit trail", () => {
  it("audits product.create once, with the creation time, however often it is created", async () => {
    const product = "audited-product";
    const first = await rawApi<{ createdAt: number }>("POST", "/api/v1/products", {
      token: ADMIN,
      json: { id: product },
    });
    expect(first.status).toBe(201);
    for (let i = 0; i < 2; i++) {
      const again = await rawApi("POST", "/api/v1/products", { token: ADMIN, json: { id: product } });
      expect(again.status).toBe(200);
    }
    // A later audited action: once it is in D1, so is everything the product's trail held before it.
    await mintToken(product, "viewer", "after");
    // Both waited for: the last one's arrival says nothing of the others' (test/integration/history-wait); the later one is there for the claim that
    // product.create was audited once.
    const audit = await historyUntil<Audit["items"][number]>(product, "audit", (items) =>
      ["product.create", "token.mint"].every((x) => items.some((a) => a.action === x)),
    );
    const created = audit.body.items.filter((a) => a.action === "product.create");
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      actor: "admin",
      target: product,
      detail: { createdAt: first.body.createdAt },
    });
    expect(audit.body.items[0]?.action).toBe("product.create");
  });
});
