// `gigafactory login` with a factory's token (the one `enroll --direct` prints, pasted as the CLI's login): the token
// reads the queue version as login's check does, so it was saved — "✔ Logged in to … as product shop" — and every
// later command was refused 403 "yours is a factory token". Over a real local socket answering as the coordinator
// does, login now asks GET …/whoami, refuses it (`✘ ERROR factory_token`, exit 2, naming the factory, never the token)
// and saves nothing. An operator's token logs in as before, and so does any token against a coordinator without
// whoami (its 404 "no route"): the check is best effort, the queue version's read still the one that must pass.
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const TOKEN = `gf_shop_${"F".repeat(43)}`;

/** A coordinator whose whoami says `who` (undefined: it has no whoami, 404 as the Worker answers an unknown path). */
async function coordinator(who: Record<string, string> | undefined) {
  return stubCoordinator((req, reply) => {
    if (req.url.endsWith("/whoami")) {
      if (who) return reply.json(200, who);
      const detail = `no route for GET ${req.url}`;
      return reply.problem(404, { type: "t", title: "Not found", status: 404, detail, code: "not_found" });
    }
    return reply.json(200, { version: 7 });
  });
}

const login = (url: string, config: string, ...extra: string[]) =>
  captureCli(["login", "--url", url, "--token", TOKEN, ...extra], { env: { GIGAFACTORY_CONFIG: config } });

describe("gigafactory login with a factory's token", () => {
  it("is refused, naming the factory, and nothing is saved", async () => {
    const stub = await coordinator({ product: "shop", role: "factory", actor: "factory:fac_1", factoryId: "fac_1" });
    const config = path.join(testTempDir("gf-login-factory-"), "config.json");
    const run = await login(stub.url, config);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^✘ ERROR factory_token: the token is factory fac_1's: .*nothing was saved \/ log in with/,
    );
    expect(run.stderr).not.toContain(TOKEN);
    expect(existsSync(config)).toBe(false);
    const json = await login(stub.url, config, "--json");
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: "factory_token", exitCode: 2 });
    expect(existsSync(config)).toBe(false);
  });

  it("names the factory by the name whoami gives, with its id", async () => {
    const who = { product: "shop", role: "factory", actor: "factory:fac_1", factoryId: "fac_1", factoryName: "gpu-1" };
    const stub = await coordinator(who);
    const run = await login(stub.url, path.join(testTempDir("gf-login-factory-"), "config.json"));
    expect(run.stderr).toMatch(/^✘ ERROR factory_token: the token is factory gpu-1 \(fac_1\)'s: /);
  });

  it("lets an operator's token in, and any token where the coordinator has no whoami", async () => {
    for (const who of [{ product: "shop", role: "operator", actor: "operator:ops", tokenId: "tok_1" }, undefined]) {
      const stub = await coordinator(who);
      const config = path.join(testTempDir("gf-login-factory-"), "config.json");
      const run = await login(stub.url, config);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^✔ Logged in to shop( as operator \(token tok_1\))? at http:\S+ \(queue version 7\)/);
      expect(existsSync(config)).toBe(true);
    }
  });
});
