// Every command that uses a connection says once, on stderr (under --json too: stdout keeps its one document), when a
// GIGAFACTORY_URL, _TOKEN or _PRODUCT set to something else overrides the saved login (cli/env-override): only
// `login` said so, so a GIGAFACTORY_TOKEN left from another shell made every later command run as that token, on
// its product, while the user believed their saved login was in use. One line, naming the variables, never their
// values; nothing when the variables agree with the saved login (a URL compared as the CLI calls it), when there is
// no saved login, or when a flag stands in front of the variable; nor before a refusal of the connection, whose one
// `✘ ERROR` line names the variable at fault. Over a real local socket.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const tokenOf = (product: string): string => `gf_${product}_${"E".repeat(43)}`;

/** A stand-in coordinator answering any read with an empty job page, and a saved login for `shop` on it. */
async function setup() {
  const stub = await stubCoordinator((_req, reply) => reply.json(200, { jobs: [] }));
  const config = path.join(testTempDir("gf-cli-env-overrides-"), "config.json");
  writeFileSync(config, JSON.stringify({ url: stub.url, token: tokenOf("shop"), product: "shop" }), { mode: 0o600 });
  return { url: stub.url, config };
}

const warnings = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("⚠"));

describe("GIGAFACTORY_* variables over a saved login", () => {
  it("are named once, in one line on stderr, under --json too, without their values", async () => {
    const { url, config } = await setup();
    const env = { GIGAFACTORY_CONFIG: config, GIGAFACTORY_URL: `${url}/`, GIGAFACTORY_TOKEN: tokenOf("other") };
    const run = await captureCli(["jobs"], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(warnings(run.stderr)).toEqual([
      `⚠ GIGAFACTORY_TOKEN overrides the login saved in ${config}: unset it (\`unset GIGAFACTORY_TOKEN\`) to use the saved login, or pass --url/--token/--product to say which`,
    ]);
    expect(run.stderr).not.toContain(tokenOf("other"));
    const json = await captureCli(["jobs", "--json"], { env: { ...env, GIGAFACTORY_URL: "http://127.0.0.1:2" } });
    expect(warnings(json.stderr)).toHaveLength(1);
    expect(warnings(json.stderr)[0]).toMatch(/^⚠ GIGAFACTORY_URL, GIGAFACTORY_TOKEN override the login saved in /);
    expect(json.stdout.startsWith("{")).toBe(true);
  });

  it("say nothing when they agree with the saved login, when a flag stands in front, or with no saved login", async () => {
    const { url, config } = await setup();
    const same = { GIGAFACTORY_CONFIG: config, GIGAFACTORY_URL: `${url}/`, GIGAFACTORY_TOKEN: tokenOf("shop") };
    expect((await captureCli(["jobs"], { env: same })).stderr).toBe("");
    const flagged = { GIGAFACTORY_CONFIG: config, GIGAFACTORY_TOKEN: tokenOf("other") };
    expect((await captureCli(["jobs", "--token", tokenOf("shop")], { env: flagged })).stderr).toBe("");
    const none = path.join(testTempDir("gf-cli-env-overrides-"), "none.json");
    const unsaved = { GIGAFACTORY_CONFIG: none, GIGAFACTORY_URL: url, GIGAFACTORY_TOKEN: tokenOf("other") };
    expect((await captureCli(["jobs"], { env: unsaved })).stderr).toBe("");
  });

  it("leave a refusal its one ✘ ERROR line: it names the variable at fault itself", async () => {
    const { config } = await setup();
    const run = await captureCli(["jobs"], { env: { GIGAFACTORY_CONFIG: config, GIGAFACTORY_PRODUCT: "other" } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^✘ ERROR token_product_mismatch: .*GIGAFACTORY_PRODUCT names product other .*\n$/);
  });
});
