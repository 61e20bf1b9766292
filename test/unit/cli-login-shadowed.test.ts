// `gigafactory login` with a GIGAFACTORY_URL, _TOKEN or _PRODUCT set to something else says so: those variables win
// over the saved file for every later command, so the login it just saved would not be used (it said "✔ Logged in to
// B", and the next command went to A). Each one is named on stderr, under --json too, and in the document's
// `overriddenBy`; the value is not printed (a token is a secret). Variables that agree with the login say nothing.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const tokenOf = (product: string): string => `gf_${product}_${"D".repeat(43)}`;

async function setup() {
  const stub = await stubCoordinator((_req, reply) => reply.json(200, { version: 2 }));
  const config = path.join(testTempDir("gf-cli-login-shadowed-"), "config.json");
  return { url: stub.url, config };
}

describe("login under GIGAFACTORY_* variables that disagree with it", () => {
  it("names each variable that overrides the saved login, without its value", async () => {
    const { url, config } = await setup();
    const env = {
      GIGAFACTORY_CONFIG: config,
      GIGAFACTORY_URL: "http://127.0.0.1:2",
      GIGAFACTORY_TOKEN: tokenOf("old"),
      GIGAFACTORY_PRODUCT: "old",
    };
    const run = await captureCli(["login", "--url", url, "--token", tokenOf("shop")], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^✔ Logged in to shop at /);
    const lines = run.stderr.trimEnd().split("\n");
    expect(
      lines.map((l) => /^⚠ (GIGAFACTORY_\w+) is set to something else and overrides the saved login/.exec(l)?.[1]),
    ).toEqual(["GIGAFACTORY_URL", "GIGAFACTORY_TOKEN", "GIGAFACTORY_PRODUCT"]);
    expect(run.stderr).not.toContain(tokenOf("old"));

    const json = await captureCli(["login", "--url", url, "--token", tokenOf("shop"), "--json"], { env });
    expect(JSON.parse(json.stdout)).toMatchObject({
      overriddenBy: ["GIGAFACTORY_URL", "GIGAFACTORY_TOKEN", "GIGAFACTORY_PRODUCT"],
    });
    expect(json.stderr.split("\n").filter((l) => l.startsWith("⚠"))).toHaveLength(3);
  });

  it("says nothing when the variables are what login saved", async () => {
    const { url, config } = await setup();
    const env = { GIGAFACTORY_CONFIG: config, GIGAFACTORY_URL: `${url}/`, GIGAFACTORY_PRODUCT: "shop" };
    const run = await captureCli(["login", "--token", tokenOf("shop"), "--json"], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toMatchObject({ product: "shop", overriddenBy: [] });
  });
});
