// `gigafactory login` with a token the coordinator refuses says what is wrong with the token: not "pass --product P"
// (product_required, told before anything was sent: the token was never checked), and not "check the token, or run
// `gigafactory login --url URL --token TOKEN` again" — the command just typed. A token of no product shape is neither
// the coordinator's admin token nor a product token; a whole product token it does not know was revoked, rotated or
// minted by another coordinator. The admin token with no --product is asked for one, naming the products there are;
// nothing is saved in any of these cases.
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const ADMIN = "admin-secret-token";
const UNKNOWN = `gf_demo_${"U".repeat(43)}`;

/** A coordinator whose only token is ADMIN (401 for any other, as worker/auth answers), with products demo and shop. */
async function coordinator() {
  return stubCoordinator((req, reply) => {
    if (req.headers.authorization !== `Bearer ${ADMIN}`)
      return reply.problem(401, {
        type: "about:blank",
        title: "Authentication required",
        status: 401,
        detail: "token is not recognised, or was revoked or rotated",
        code: "unauthorized",
      });
    if (req.url === "/api/v1/products")
      return reply.json(200, {
        products: [
          { id: "demo", createdAt: 1 },
          { id: "shop", createdAt: 2 },
        ],
      });
    return reply.json(200, { version: 3 });
  });
}

async function login(url: string, token: string, ...extra: string[]) {
  const file = path.join(testTempDir("gf-login-refused-"), "config.json");
  const run = await captureCli(["login", "--url", url, "--token", token, ...extra], {
    env: { GIGAFACTORY_CONFIG: file },
  });
  expect(existsSync(file)).toBe(false);
  return run;
}

const FIX =
  " / log in with the admin token the coordinator was started with (GIGAFACTORY_ADMIN_TOKEN; `npm start` prints it), or an operator or viewer token, whole, as `gigafactory tokens mint` printed it\n";

describe("gigafactory login with a token the coordinator refuses", () => {
  it("says so without --product, not that a product is needed", async () => {
    const stub = await coordinator();
    const run = await login(stub.url, "gfadmin_nope");
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "✘ ERROR unauthorized: the coordinator refused the token (--token): it is not this coordinator's admin token " +
        `(a product token is gf_<product>_ then 43 characters)${FIX}`,
    );
    expect(stub.lines).toEqual(["GET /api/v1/products"]);
  });

  it("says with --product that the token is neither the admin's nor the product's, not to run login again", async () => {
    const stub = await coordinator();
    const run = await login(stub.url, "gfadmin_nope", "--product", "demo");
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "✘ ERROR unauthorized: the coordinator refused the token (--token): it is not this coordinator's admin token, " +
        `nor a token of product demo (a product token is gf_<product>_ then 43 characters)${FIX}`,
    );
    expect(run.stderr).not.toContain("again");
  });

  it("says a whole product token it does not know was revoked, rotated or another coordinator's", async () => {
    const stub = await coordinator();
    const run = await login(stub.url, UNKNOWN);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "✘ ERROR unauthorized: the coordinator refused the token (--token): gf_demo_… is not a token this coordinator " +
        `knows: revoked or rotated, or minted by another coordinator${FIX}`,
    );
    expect(run.stderr).not.toContain("U".repeat(43));
  });

  it("asks the admin token for --product, naming the products there are", async () => {
    const stub = await coordinator();
    const run = await login(stub.url, ADMIN);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "✘ ERROR product_required: the admin token names no product / pass --product P as well, one of: demo, shop\n",
    );
  });
});
