// An id argument no id of its kind can be is refused by the CLI before anything is sent, as a usage error (exit 2)
// whose fix names the command that lists the real ids: `alerts --ack` and `routing unapply` sent it and printed the
// API's `validation_failed: alertId: an alert id such as al_… / fix the value named above` — for "al_nope" too,
// which looks like one, with no way to find a real id. A well-formed id is still sent.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const cli = (url: string, ...argv: string[]) => captureCli([...argv, ...connection(url, "p")], {});

describe("id arguments the CLI checks before sending", () => {
  it.each([
    [["alerts", "--ack", "al_nope"], /"al_nope" is not an alert id \(al_…\) \/ .*`gigafactory alerts`/],
    [["alerts", "--ack", "nope"], /"nope" is not an alert id/],
    [["routing", "unapply", "nope"], /"nope" is not a rule id \(rr_…\) \/ .*`gigafactory routing rules`/],
  ])("%j is a usage error naming where the ids are listed, nothing sent", async (argv, said) => {
    const { url, lines } = await stubCoordinator((_req, reply) => reply.json(500, {}));
    const run = await cli(url, ...argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^✘ ERROR usage: /);
    expect(run.stderr).toMatch(said);
    expect(lines).toEqual([]);
  });

  it("a well-formed id is sent", async () => {
    const { url, lines } = await stubCoordinator((_req, reply) =>
      reply.json(404, { type: "about:blank", title: "Not found", detail: "no such thing", code: "not_found" }),
    );
    expect((await cli(url, "alerts", "--ack", "al_0mx97lrhz0005")).code).toBe(1);
    expect((await cli(url, "routing", "unapply", "rr_0mx97lrhz0005")).code).toBe(1);
    // `--ack` reads the acknowledged alerts first (to say one already was: cli/commands/alerts), then sends it.
    expect(lines.map((l) => l.split(" ")[0]).filter((m) => m !== "GET")).toEqual(["POST", "DELETE"]);
  });
});
