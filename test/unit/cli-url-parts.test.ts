// A coordinator URL with parts the CLI used to drop without a word — a user and password, a query, a fragment — or a
// path ending in the /api/v1 the CLI adds itself is a usage error (exit 2) before any request, from --url,
// GIGAFACTORY_URL or login alike, and the password typed into it is not printed back. Before, `--url
// http://ops:pw@host` called the host without them, and `--url http://host/api/v1` answered every command with a 404.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const TOKEN = `gf_shop_${"C".repeat(43)}`;

describe("a coordinator URL with parts the CLI would drop", () => {
  it.each([
    ["http://ops:hunter2@HOST", "carries a user name or password", "http://…@HOST"],
    ["http://HOST/?tenant=a", "has a query or fragment", "http://HOST/?tenant=a"],
    ["http://HOST#top", "has a query or fragment", "http://HOST#top"],
    ["http://HOST/api/v1/", "ends in /api/v1", "http://HOST/api/v1/"],
  ])("%s is refused before any request, naming its source, its password hidden", async (raw, why, shown) => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { version: 1 }));
    const host = stub.url.slice("http://".length);
    const url = raw.replace("HOST", host);
    const runs = [
      ["--url", await captureCli(["queue-state", ...connection(url, "shop", TOKEN)])],
      [
        "GIGAFACTORY_URL",
        await captureCli(["queue-state"], { env: { GIGAFACTORY_URL: url, GIGAFACTORY_TOKEN: TOKEN } }),
      ],
      ["--url", await captureCli(["login", "--url", url, "--token", TOKEN])],
    ] as const;
    for (const [source, run] of runs) {
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(`✘ ERROR bad_url: "${shown.replace("HOST", host)}" (${source}) ${why}`);
      expect(run.stderr).not.toContain("hunter2");
    }
    expect(stub.lines).toEqual([]);
  });

  it("keeps a path prefix (a coordinator behind a proxy's path)", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { version: 4 }));
    const run = await captureCli(["queue-state", "--json", ...connection(`${stub.url}/gf/`, "shop", TOKEN)]);
    expect(run.code, run.stderr).toBe(0);
    expect(stub.lines).toEqual(["GET /gf/api/v1/products/shop/queue-state"]);
  });
});
