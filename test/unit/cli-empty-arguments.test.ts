// An empty argument (`gigafactory job "$ID"` with ID unset, or only blanks) is a usage error (exit 2) naming which
// argument, before anything is sent: `job ""` asked for `…/jobs/` and printed "no route for GET …/jobs/ / check --url"
// — the URL was right — and `cancel ""`, `artifact ID ""`, `submit a.md ""` the same kind of misleading refusal.
// A non-empty argument is still taken, and --help still answers without the arguments.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

describe("an empty argument", () => {
  it.each([
    [["job", ""], "ID", "job"],
    [["cancel", "  "], "ID", "cancel"],
    [["artifact", "job_1", ""], "NAME", "artifact"],
    [["submit", "a.md", ""], "FILE.md", "submit"],
    [["lessons", "add", ""], "TEXT", "lessons add"],
  ])("%j is refused naming it, nothing sent", async (argv, name, command) => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, {}));
    const run = await captureCli([...argv, ...connection(stub.url, "p")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `✘ ERROR usage: the ${name} argument is empty (an unset shell variable?): give it a value / see \`gigafactory ${command} --help\`\n`,
    );
    expect(stub.lines).toEqual([]);
  });

  it("a given argument is sent, and --help needs none", async () => {
    const stub = await stubCoordinator((_req, reply) =>
      reply.problem(404, {
        type: "t",
        title: "Not found",
        status: 404,
        code: "not_found",
        detail: "job j1 does not exist",
      }),
    );
    expect((await captureCli(["job", "j1", ...connection(stub.url, "p")])).code).toBe(1);
    expect(stub.lines[0]).toBe("GET /api/v1/products/p/jobs/j1");
    expect((await captureCli(["job", "", "--help"])).code).toBe(0);
  });
});
