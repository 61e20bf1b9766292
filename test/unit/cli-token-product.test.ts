// A product token (`gf_<product>_…`) sent for another product is refused before any request, naming where the token
// and the product came from — a GIGAFACTORY_PRODUCT left from another shell, a --product typed over a saved login —
// as `✘ ERROR token_product_mismatch` (exit 2). It went to the coordinator, which refused it 403 "this token belongs
// to another product" without saying which setting was stale. An admin token (which names no product) serves any. The
// fix says to unset GIGAFACTORY_PRODUCT only when the product came from it.

import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const tokenOf = (product: string): string => `gf_${product}_${"F".repeat(43)}`;

describe("a token of one product sent for another", () => {
  it("is refused before any request, naming the token's and the product's sources", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { version: 1 }));
    const saved = path.join(testTempDir("gf-cli-token-product-"), "config.json");
    writeFileSync(saved, JSON.stringify({ url: stub.url, token: tokenOf("alpha"), product: "alpha" }), { mode: 0o600 });
    const cases = [
      [["queue-state", "--product", "beta"], { GIGAFACTORY_CONFIG: saved }, "the saved config", "--product"],
      [
        ["queue-state"],
        { GIGAFACTORY_CONFIG: saved, GIGAFACTORY_PRODUCT: "beta" },
        "the saved config",
        "GIGAFACTORY_PRODUCT",
      ],
      [
        ["queue-state", "--url", stub.url, "--product", "beta"],
        { GIGAFACTORY_TOKEN: tokenOf("alpha") },
        "GIGAFACTORY_TOKEN",
        "--product",
      ],
      [["login", "--url", stub.url, "--token", tokenOf("alpha"), "--product", "beta"], {}, "--token", "--product"],
    ] as const;
    for (const [argv, env, tokenSource, productSource] of cases) {
      const run = await captureCli(argv, { env });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(
        new RegExp(
          `^✘ ERROR token_product_mismatch: the token \\(${tokenSource}\\) is product alpha's, but ${productSource} names product beta / pass --product alpha, or a token of beta`,
        ),
      );
      // GIGAFACTORY_PRODUCT is named in the fix only when the product came from it (not after an explicit --product).
      expect(run.stderr.includes("unset GIGAFACTORY_PRODUCT"), run.stderr).toBe(
        productSource === "GIGAFACTORY_PRODUCT",
      );
    }
    expect(stub.lines).toEqual([]);
  });

  it("is not refused when the product comes from the token itself, or the token is the admin's", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { version: 1 }));
    const own = await captureCli(["queue-state", "--url", stub.url, "--token", tokenOf("alpha")], {
      env: { GIGAFACTORY_PRODUCT: "beta" },
    });
    expect(own.code, own.stderr).toBe(0);
    const admin = await captureCli(["queue-state", "--url", stub.url, "--token", "adm", "--product", "beta"]);
    expect(admin.code, admin.stderr).toBe(0);
    expect(stub.lines).toEqual(["GET /api/v1/products/alpha/queue-state", "GET /api/v1/products/beta/queue-state"]);
  });
});
