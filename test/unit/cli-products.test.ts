// `gigafactory products` and `products create ID` over a real local socket: admin calls above any product (no --product needed), idempotent create, --json documents, and a refused token reported as one ✘ ERROR line.
// The README's quick-start order works for a fresh user: `login` with the admin token and a product that does not
// exist yet checks the token, says the product is missing and saves the login (it used to fail `not_found`), and
// `products create` then runs on that saved login; a wrong token still fails login and saves nothing.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

/**
 * A stand-in coordinator that knows the admin token `adm` and keeps products in memory; a product's queue state
 * answers as worker/auth does: an unknown token 401, the admin on a product never created 404 not_found.
 */
async function coordinator(): Promise<{ url: string; seen: string[] }> {
  const products = new Map<string, number>();
  const { url, lines } = await stubCoordinator((req, reply) => {
    const scoped = /^\/api\/v1\/products\/([^/]+)\/queue-state$/.exec(req.url);
    if (scoped && req.headers.authorization !== "Bearer adm")
      return reply.problem(401, { title: "Unauthorized", detail: "token is not recognised", code: "unauthorized" });
    if (scoped && !products.has(scoped[1] ?? ""))
      return reply.problem(404, {
        title: "Not found",
        detail: `product ${scoped[1]} does not exist`,
        code: "not_found",
      });
    if (scoped) return reply.json(200, { version: 7 });
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

describe("the quick start's order: login, then products create", () => {
  it("logs an admin in to a product that does not exist yet, then creates it on the saved login", async () => {
    const { url, seen } = await coordinator();
    const env = { GIGAFACTORY_CONFIG: path.join(testTempDir("gf-cli-products-"), "c.json") };
    const login = await captureCli(["login", "--url", url, "--token", "adm", "--product", "newprod"], { env });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain("Product newprod does not exist yet: create it with `gigafactory products create");
    expect(JSON.parse(readFileSync(env.GIGAFACTORY_CONFIG, "utf8"))).toEqual({ url, token: "adm", product: "newprod" });
    const create = await captureCli(["products", "create", "newprod"], { env });
    expect(create).toMatchObject({ code: 0, stdout: "✔ created product newprod\n" });
    const again = await captureCli(["login", "--url", url, "--token", "adm", "--product", "newprod", "--json"], {
      env,
    });
    expect(JSON.parse(again.stdout)).toMatchObject({ product: "newprod", queueVersion: 7, productExists: true });
    expect(seen).toEqual([
      "GET /api/v1/products/newprod/queue-state",
      "GET /api/v1/products",
      "POST /api/v1/products",
      "GET /api/v1/products/newprod/queue-state",
      "GET /api/v1/products/newprod/whoami", // the role login says it logged in as
    ]);
  });

  it("still refuses a wrong token and saves nothing", async () => {
    const { url } = await coordinator();
    const env = { GIGAFACTORY_CONFIG: path.join(testTempDir("gf-cli-products-"), "c.json") };
    const r = await captureCli(["login", "--url", url, "--token", "wrong", "--product", "newprod"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✘ ERROR unauthorized: /);
    expect(existsSync(env.GIGAFACTORY_CONFIG)).toBe(false);
  });
});
