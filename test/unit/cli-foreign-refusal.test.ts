// A 4xx that carries no Gigafactory problem code came from another server — the wrong host, a proxy, an access
// gateway — since every refusal of a coordinator carries one: `gigafactory login` against a web server's 404 page, or
// any command behind a gateway's 403 page, says to check the URL and what stands in front of it. It said "see
// `gigafactory --help`", the help of a command typed right.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const TOKEN = `gf_shop_${"E".repeat(43)}`;

describe("a refusal no coordinator wrote", () => {
  it("a 404 page at login points at the URL", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.text(404, "<html>Not Found</html>", "text/html"));
    const run = await captureCli(["login", "--url", url, "--token", TOKEN, "--json"]);
    expect(run.code).toBe(1);
    const { error } = JSON.parse(run.stdout) as { error: { code: string; fix: string } };
    expect(error.code).toBe("http_404");
    expect(error.fix).toMatch(/^check --url \/ GIGAFACTORY_URL: the coordinator's base URL/);
  });

  it("a gateway's 403 page on any command points at the URL and what stands in front of it", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.text(403, "Access denied", "text/plain"));
    const run = await captureCli(["jobs", ...connection(url, "shop", TOKEN)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      '✘ ERROR http_403: not a Gigafactory answer: HTTP 403 Forbidden, 13 bytes of text/plain: "Access denied" / ' +
        "the answer carries no Gigafactory problem code, so the coordinator did not " +
        "write it: check --url / GIGAFACTORY_URL, and any proxy or access gateway in front of it\n",
    );
  });
});
