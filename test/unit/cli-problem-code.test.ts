// A refusal's `code` is printed only when it has the API's shape (snake_case): a server's `"code": "x\n✔ all good"`
// wrote a forged line of its own on stderr after `✘ ERROR x` (message and fix were already folded onto one line, the
// code was not), and became the --json error document's `code`. Such a code reads `http_<status>`, as an answer
// without one does; a well-formed code is kept.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

describe("a refusal's code", () => {
  it("is http_<status> when it is not snake_case, on one stderr line and in the --json document", async () => {
    const { url } = await stubCoordinator((_req, reply) =>
      reply.problem(409, { code: "x\n✔ all good", title: "t", detail: "refused" }),
    );
    const r = await captureCli(["jobs", ...connection(url, "shop")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✘ ERROR http_409: refused \/ [^\n]+\n$/);
    const json = await captureCli(["jobs", "--json", ...connection(url, "shop")]);
    expect(JSON.parse(json.stdout).error.code).toBe("http_409");
  });

  it("is kept when it has the API's shape", async () => {
    const { url } = await stubCoordinator((_req, reply) =>
      reply.problem(409, { code: "feed_purged", title: "t", detail: "gone" }),
    );
    const r = await captureCli(["jobs", ...connection(url, "shop")]);
    expect(r.stderr).toMatch(/^✘ ERROR feed_purged: gone \/ retention removed/);
  });
});
