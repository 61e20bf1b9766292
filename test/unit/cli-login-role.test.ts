// `gigafactory login` says the role it logged in as — "✔ Logged in to shop as viewer (token laptop) at …" — from the
// GET …/whoami it already makes, and `--json` carries `role`: a viewer's token logged in as silently as an
// operator's, and the first write was the first the user heard of it (403). Over a real local socket answering as
// the coordinator does: a minted token is named (its name, else its id), the admin token is said to be the admin's
// (also when the product does not exist yet, where only the admin gets in), and a coordinator without whoami (404
// "no route") still logs in, with no role said and `role: null`. A name is one line, whatever it holds.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const SHOP = `gf_shop_${"V".repeat(43)}`;
const ADMIN = "admin-secret-token";

/** A coordinator whose whoami answers `who` (undefined: it has none) and whose product `shop` exists when `exists`. */
async function coordinator(who: Record<string, string> | undefined, exists = true) {
  return stubCoordinator((req, reply) => {
    const nf = (detail: string) =>
      reply.problem(404, { type: "t", title: "Not found", status: 404, detail, code: "not_found" });
    if (req.url.endsWith("/whoami")) return who ? reply.json(200, who) : nf(`no route for GET ${req.url}`);
    if (req.url === "/api/v1/products") return reply.json(200, { products: [] });
    return exists ? reply.json(200, { version: 7 }) : nf("no product shop");
  });
}

const login = (url: string, token: string, ...extra: string[]) =>
  captureCli(["login", "--url", url, "--token", token, ...extra], {
    env: { GIGAFACTORY_CONFIG: path.join(testTempDir("gf-login-role-"), "config.json") },
  });

describe("gigafactory login says the role it logged in as", () => {
  it("a minted viewer token: its role and name, and role under --json", async () => {
    const who = { product: "shop", role: "viewer", actor: "viewer:laptop", tokenId: "tok_1", tokenName: "laptop" };
    const stub = await coordinator(who);
    const run = await login(stub.url, SHOP);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^✔ Logged in to shop as viewer \(token laptop\) at http:\S+ \(queue version 7\)/);
    const json = await login(stub.url, SHOP, "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ product: "shop", role: "viewer", queueVersion: 7 });
  });

  it("a token with no name is named by its id, on one line whatever the name holds", async () => {
    const stub = await coordinator({ product: "shop", role: "operator", actor: "operator:x", tokenId: "tok_9" });
    expect((await login(stub.url, SHOP)).stdout).toMatch(/^✔ Logged in to shop as operator \(token tok_9\) at /);
    const forged = await coordinator({ product: "shop", role: "operator", actor: "o", tokenName: "a\n✔ all good" });
    const run = await login(forged.url, SHOP);
    expect(run.stdout.trimEnd().split("\n")).toHaveLength(1);
  });

  it("the admin token says so, on an existing product and on one not created yet", async () => {
    const stub = await coordinator({ product: "shop", role: "admin", actor: "admin" });
    const run = await login(stub.url, ADMIN, "--product", "shop");
    expect(run.stdout).toMatch(/^✔ Logged in to shop as admin \(the admin token\) at /);
    const none = await coordinator(undefined, false);
    const json = await login(none.url, ADMIN, "--product", "shop", "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ role: "admin", productExists: false });
  });

  it("a coordinator without whoami: logged in, no role said, role null", async () => {
    const stub = await coordinator(undefined);
    const run = await login(stub.url, SHOP);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^✔ Logged in to shop at http:\S+ \(queue version 7\)/);
    expect(JSON.parse((await login(stub.url, SHOP, "--json")).stdout)).toMatchObject({ role: null });
  });
});
