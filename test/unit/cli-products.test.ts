// `gigafactory products` and `products create ID` over a real local socket: admin calls above any product (no --product needed), idempotent create, --json documents, and a refused token reported as one ✘ ERROR line.
import { describe, expect, it } from "vitest";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";

/** A stand-in coordinator that knows the admin token `adm` and keeps products in memory. */
async function coordinator(): Promise<{ url: string; seen: string[] }> {
  const products = new Map<string, number>();
  const { url, lines } = await stubCoordinator((req, reply) => {
    if (req.headers.authorization !== "Bearer adm")
      return reply.problem(403, { title: "Not allowed", detail: "this needs the admin token", code: "forbidden" });
    if (req.method === "GET")
      return reply.json(200, { products: [...products].map(([id, createdAt]) => ({ id, createdAt })) });
    const { id } = req.body as { id: string };
    const existed = products.has(id);
    if (!existed) products.set(id, 1_700_000_000_000);
    return reply.json(existed ? 200 : 201, { id, createdAt: products.get(id) });
  });
  return { url, seen: lines };
}

const cli = (...argv: string[]) => captureCli(argv);

describe("gigafactory products", () => {
  it("creates a product with the admin token and no --product, idempotently, and lists it", async () => {
    const { url, seen } = await coordinator();
    const first = await cli("products", "create", "shop", "--url", url, "--token", "adm");
    expect(first).toMatchObject({ code: 0, stdout: "✔ created product shop\n" });
    const again = await cli("products", "create", "shop", "--url", url, "--token", "adm", "--json");
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ id: "shop", createdAt: 1_700_000_000_000, created: false });
    const list = await cli("products", "--url", url, "--token", "adm", "--json");
    expect(JSON.parse(list.stdout)).toEqual({ products: [{ id: "shop", createdAt: 1_700_000_000_000 }] });
    expect(seen).toEqual(["POST /api/v1/products", "POST /api/v1/products", "GET /api/v1/products"]);
  });

  it("reports a refused token as one ✘ ERROR line and exit 1", async () => {
    const { url } = await coordinator();
    const r = await cli("products", "create", "shop", "--url", url, "--token", `gf_shop_${"A".repeat(43)}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✘ ERROR forbidden: /);
  });
});
