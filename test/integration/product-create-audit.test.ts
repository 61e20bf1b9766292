// Creating a product is an admin action like minting a token, so it is in the audit trail: `product.create` by the
// admin, in the new product's own trail (which its viewers read), naming when it was created — exactly once however
// often a setup script creates it again (each call answers 200 and adds nothing).
import { describe, expect, it } from "vitest";
import { ADMIN, rawApi } from "./client";
import { auditDelivered } from "./history-wait.ts";

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
    // Once every entry the product's trail held is in D1 (history-wait `auditDelivered`), a second one would be there.
    const audit = await auditDelivered(product);
    const created = audit.filter((a) => a.action === "product.create");
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      actor: "admin",
      target: product,
      detail: { createdAt: first.body.createdAt },
    });
    expect(audit[0]?.action).toBe("product.create");
  });
});
