// A refusal that is not the coordinator's problem+json (type, title, detail, code) came from another server — the
// wrong host, a proxy, an access gateway — since every refusal of a coordinator is one: `gigafactory login` against a
// web server's 404 page, or any command behind a gateway's 403 page, says to check the URL and what stands in front of
// it (it said "see `gigafactory --help`", the help of a command typed right). Another server's JSON naming a
// snake_case code of its own or of ours (a proxy's 502 `bad_gateway`, a gateway's 403 `forbidden`, a 404 `not_found`)
// is said as another server's too, not as the coordinator's failure, role or missing id; the coordinator's own 500
// is still its failure.
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
        "the answer is not a Gigafactory problem, so the coordinator did not " +
        "write it: check --url / GIGAFACTORY_URL, and any proxy or access gateway in front of it\n",
    );
  });

  /** The `✘ ERROR` line of `argv` against a server answering every request `status` with `doc` as `type`. */
  async function lineFor(argv: string[], status: number, doc: unknown, type = "application/json"): Promise<string> {
    const { url } = await stubCoordinator((_req, reply) => reply.text(status, JSON.stringify(doc), type));
    const run = await captureCli([...argv, ...connection(url, "shop", TOKEN)]);
    expect(run.code).toBe(1);
    return run.stderr;
  }

  it("a proxy's JSON 5xx naming a snake_case code is another server's failure, not the coordinator's", async () => {
    const proxy = { code: "bad_gateway", message: "upstream connect error" };
    expect(await lineFor(["jobs"], 502, proxy)).toBe(
      "✘ ERROR bad_gateway: upstream connect error / the answer is not a Gigafactory problem, so the coordinator " +
        "did not write it: retry; if it persists, check --url / GIGAFACTORY_URL and any proxy in front of the " +
        "coordinator, then its logs\n",
    );
    // The same body as problem+json, but with no type, title and detail: not the coordinator's shape either.
    expect(await lineFor(["jobs"], 503, { code: "unavailable" }, "application/problem+json")).toContain(
      "/ the answer is not a Gigafactory problem",
    );
  });

  it("another server's JSON naming one of the coordinator's codes gets none of its advice", async () => {
    const gateway = await lineFor(["jobs"], 403, { code: "forbidden", message: "Access denied" });
    expect(gateway).toBe(
      "✘ ERROR forbidden: Access denied / the answer is not a Gigafactory problem, so the coordinator did not " +
        "write it: check --url / GIGAFACTORY_URL, and any proxy or access gateway in front of it\n",
    );
    for (const argv of [
      ["job", "job_1"],
      ["enrollment-codes", "revoke", "enr_1"],
    ]) {
      const line = await lineFor(argv, 404, { code: "not_found", detail: "no such page" });
      expect(line, argv.join(" ")).toMatch(/^✘ ERROR not_found: no such page \/ check --url \/ GIGAFACTORY_URL: /);
    }
  });

  it("the coordinator's own problem+json 5xx is still its failure, and an unknown code of its says so", async () => {
    const internal = {
      type: "https://gigafactory.dev/problems/internal",
      title: "Internal error",
      status: 500,
      detail: "the coordinator hit an unexpected error; it has been logged",
      code: "internal",
    };
    expect(await lineFor(["jobs"], 500, internal, "application/problem+json")).toBe(
      "✘ ERROR internal: the coordinator hit an unexpected error; it has been logged / the coordinator failed; " +
        "retry, and check its logs if it persists\n",
    );
    const newer = { type: "about:blank", title: "Later", detail: "a refusal this CLI predates", code: "quota_spent" };
    expect(await lineFor(["jobs"], 422, newer, "application/problem+json; charset=utf-8")).toBe(
      "✘ ERROR quota_spent: a refusal this CLI predates / act on the detail above; a newer CLI may say more " +
        "(`gigafactory --version`)\n",
    );
  });
});
