// A URL that answers 2xx with something that is not JSON (a proxy's login page, another service on the port) is
// reported as `✘ ERROR bad_response` pointing at --url, exit 1 and nothing on stdout (under --json only the error
// document, test/unit/cli-json-errors) — not as an
// `internal` error that calls itself a CLI bug; and the Worker's 404 for a path it does not serve (a base URL given
// with /api/v1) points at --url, not at the id.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

describe("an answer that is not JSON", () => {
  it("is bad_response naming --url, for reads and writes, with and without --json", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.text(200, "<html>Sign in</html>", "text/html"));
    for (const argv of [["jobs"], ["jobs", "--json"], ["job", "job_1", "--json"], ["cancel", "job_1"], ["settings"]]) {
      const r = await captureCli([...argv, ...connection(url, "shop")]);
      const stdout = argv.includes("--json") ? JSON.parse(r.stdout).error.code : r.stdout;
      expect({ argv, code: r.code, stdout }).toEqual({
        argv,
        code: 1,
        stdout: argv.includes("--json") ? "bad_response" : "",
      });
      expect(r.stderr).toMatch(
        /^✘ ERROR bad_response: the answer from \S+ is no coordinator's: it is not JSON: .+ \/ check that --url/,
      );
      expect(r.stderr).not.toContain("CLI bug");
    }
  });
});

describe("a URL with a path the coordinator does not serve", () => {
  it("says the URL is wrong, not the id, when the Worker answers `no route for …`", async () => {
    // What worker/app answers for a base URL with a path it does not serve (one ending in /api/v1, the API docs line
    // `npm start` prints, is refused before any request: test/unit/cli-url-parts).
    const { url } = await stubCoordinator((req, reply) =>
      reply.problem(404, { title: "Not found", detail: `no route for ${req.method} ${req.url}`, code: "not_found" }),
    );
    const r = await captureCli(["jobs", ...connection(`${url}/api`, "shop")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✘ ERROR not_found: no route for GET \/api\/api\/v1\/products\/shop\/jobs/);
    expect(r.stderr).toContain("/ check --url / GIGAFACTORY_URL: the coordinator's base URL");
    expect(r.stderr).not.toContain("check the id");
  });
});
