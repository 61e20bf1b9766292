// A whole product token read with a blank or a line break at an end — `GIGAFACTORY_TOKEN` from a CRLF file (`$(cat
// token.txt)` strips the \n, not the \r), a paste with a leading space — is taken as `fetch` sends it, its ends
// trimmed: its product is found in it, `login` saves it trimmed, and it is not said to override a saved login of the
// same token. Each was refused `product_required: the token does not name a product (an admin token?)`, with nothing
// sent, though the request would have gone through.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const WHOLE = `gf_demo_${"V".repeat(43)}`;

async function coordinator() {
  const auth: string[] = [];
  const stub = await stubCoordinator((req, reply) => {
    auth.push(String(req.headers.authorization));
    if (req.url.endsWith("/whoami")) return reply.json(200, { product: "demo", role: "operator", actor: "operator:k" });
    return reply.json(200, { version: 3 });
  });
  return { ...stub, auth };
}

describe("a whole token with a blank or a line break at an end", () => {
  it.each([
    `${WHOLE}\r`,
    `${WHOLE}\n`,
    ` ${WHOLE}`,
    `\t${WHOLE}\r\n`,
  ])("%j names its product and is sent", async (raw) => {
    const stub = await coordinator();
    const run = await captureCli(["queue-state", "--url", stub.url], { env: { GIGAFACTORY_TOKEN: raw } });
    expect(run.code, run.stderr).toBe(0);
    expect(stub.lines).toEqual(["GET /api/v1/products/demo/queue-state"]);
    expect(stub.auth).toEqual([`Bearer ${WHOLE}`]);
  });

  it("is the saved login's token still: no note that GIGAFACTORY_TOKEN overrides it", async () => {
    const stub = await coordinator();
    const file = path.join(testTempDir("gf-token-blanks-"), "config.json");
    writeFileSync(file, JSON.stringify({ url: stub.url, token: WHOLE, product: "demo" }), { mode: 0o600 });
    const run = await captureCli(["queue-state"], {
      env: { GIGAFACTORY_CONFIG: file, GIGAFACTORY_TOKEN: `${WHOLE}\r` },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
  });

  it("is logged in with, and saved trimmed", async () => {
    const stub = await coordinator();
    const file = path.join(testTempDir("gf-token-blanks-"), "config.json");
    const run = await captureCli(["login", "--url", stub.url, "--token", ` ${WHOLE}\r`], {
      env: { GIGAFACTORY_CONFIG: file },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ token: WHOLE, product: "demo" });
  });
});
