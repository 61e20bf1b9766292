// The token `gigafactory login` saved goes only to the origin (scheme, host, port) it was checked against, as the
// agent's config file token does (token_other_origin) and `gh`'s and git's credential helpers: over a real local
// socket, a `--url` or GIGAFACTORY_URL naming another origin while the token comes from the saved file is refused
// before any request (exit 2, `✘ ERROR token_other_origin`, naming both origins and never the token) — a typo carried
// the saved admin token to whatever it named. The same origin under another spelling (a trailing slash) still goes,
// and a token given explicitly (--token, GIGAFACTORY_TOKEN) goes where it is told.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const SAVED_TOKEN = "saved-admin-secret";

/** Two stand-in coordinators (the saved one and a stranger) and a saved login naming the first. */
async function setUp() {
  const answer = (_req: unknown, reply: { json: (s: number, d: unknown) => void }) =>
    reply.json(200, { jobs: [], counts: {} });
  const home = await stubCoordinator((req, reply) => answer(req, reply));
  const stranger = await stubCoordinator((req, reply) => answer(req, reply));
  const config = join(testTempDir("gf-token-origin-"), "config.json");
  writeFileSync(config, JSON.stringify({ url: home.url, token: SAVED_TOKEN, product: "shop" }), { mode: 0o600 });
  return { home, stranger, env: { GIGAFACTORY_CONFIG: config } };
}

describe("the saved token stays with its coordinator", () => {
  it("is not sent to a --url or GIGAFACTORY_URL of another origin: refused before any request", async () => {
    const { home, stranger, env } = await setUp();
    const byFlag = await captureCli(["whoami", "--url", stranger.url], { env });
    expect(byFlag.code).toBe(2);
    expect(byFlag.stderr).toBe(
      `✘ ERROR token_other_origin: the saved token was checked against ${home.url} by \`gigafactory login\`, not ${stranger.url} (--url): it is not sent there / pass --token (or set GIGAFACTORY_TOKEN) for ${stranger.url}, or run \`gigafactory login --url ${stranger.url} --token TOKEN\`\n`,
    );
    const byEnv = await captureCli(["jobs", "--json"], { env: { ...env, GIGAFACTORY_URL: stranger.url } });
    expect(byEnv.code).toBe(2);
    expect(JSON.parse(byEnv.stdout).error.code).toBe("token_other_origin");
    expect(byEnv.stderr).toContain("(GIGAFACTORY_URL)");
    expect(`${byFlag.stderr}${byEnv.stdout}${byEnv.stderr}`).not.toContain(SAVED_TOKEN);
    expect(stranger.lines).toEqual([]);
    expect(home.lines).toEqual([]);
  });

  it("goes to its own origin however it is spelled, and an explicit token goes where it is told", async () => {
    const { home, stranger, env } = await setUp();
    expect((await captureCli(["jobs", "--url", `${home.url}/`], { env })).code).toBe(0);
    expect(home.lines).toEqual(["GET /api/v1/products/shop/jobs?limit=50"]);
    const told = await captureCli(["jobs", "--url", stranger.url, "--token", "other-token"], { env });
    expect(told.code).toBe(0);
    const byEnv = await captureCli(["jobs"], {
      env: { ...env, GIGAFACTORY_URL: stranger.url, GIGAFACTORY_TOKEN: "other-token" },
    });
    expect(byEnv.code).toBe(0);
    expect(stranger.lines).toHaveLength(2);
  });
});
