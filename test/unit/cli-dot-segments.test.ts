// An id, name or product of `.` or `..` is refused by the REST client before anything is sent (shared/http-client-base
// productUrl), a usage error (exit 2) saying so: no URL path can carry one — the URL parser resolves dot segments,
// `%2e` too — so `job ..` went out as GET …/products/demo/ and `artifact ID .` as GET …/artifacts/, answered
// "no route … / check --url" or "method_not_allowed … / this is a CLI bug", fixes that fix nothing. An id that merely
// contains dots is sent as it is where an id may hold one; a job id argument with a dot is no job id (cli/args-hints).
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

describe("dot segments in a request path", () => {
  it.each([
    [["artifact", "job_a", ".."], ".."],
    [["artifact", "job_a", "."], "."],
    [["tokens", "revoke", ".."], ".."],
    [["dead-letters", "redrive", ".."], ".."],
    [["enrollment-codes", "revoke", "."], "."],
  ])("%j is a usage error naming %j, nothing sent", async (argv, seg) => {
    const { url, lines } = await stubCoordinator((_req, reply) => reply.json(404, {}));
    const run = await captureCli([...argv, ...connection(url, "p")], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`✘ ERROR usage: ${JSON.stringify(seg)} cannot be`);
    expect(run.stderr).not.toMatch(/check --url|CLI bug/);
    expect(lines).toEqual([]);
  });

  it("a product of `..` likewise", async () => {
    const { url, lines } = await stubCoordinator((_req, reply) => reply.json(404, {}));
    const run = await captureCli(["jobs", ...connection(url, "..")], {});
    expect(run.code).toBe(2);
    // Refused as no product id at all (cli/config assertProductId), before the path is built.
    expect(run.stderr).toContain('✘ ERROR usage: ".." (--product) is not a product id');
    expect(lines).toEqual([]);
  });

  it.each([
    [["job", ".."], ".."],
    [["job", "."], "."],
    [["ship", ".."], ".."],
  ])("%j, a job id argument, is a usage error: no job id has a dot (cli/args-hints), nothing sent", async (argv, seg) => {
    const { url, lines } = await stubCoordinator((_req, reply) => reply.json(404, {}));
    const run = await captureCli([...argv, ...connection(url, "p")], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`✘ ERROR usage: ${JSON.stringify(seg)} is not a job id`);
    expect(lines).toEqual([]);
  });

  it("an id with dots in it is sent as it is, where ids may hold dots (a dead letter's)", async () => {
    const { url, lines } = await stubCoordinator((_req, reply) =>
      reply.json(404, {
        type: "about:blank",
        title: "Not found",
        detail: "dead letter ...x does not exist",
        code: "not_found",
      }),
    );
    const run = await captureCli(["dead-letters", "redrive", "...x", ...connection(url, "p")], {});
    expect(run.code).toBe(1);
    expect(lines[0]).toMatch(/^POST \/api\/v1\/products\/p\/dead-letters\/\.\.\.x\/redrive$/);
  });
});
