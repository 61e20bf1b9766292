// A command line a newcomer gets slightly wrong is a usage error (exit 2, nothing sent) that names what was probably
// meant (cli/args-hints): a misspelt subcommand where the family is a command too (`tokens mnt` said only
// `unexpected argument "mnt"`), a misspelt one of a family (`factory aprove` listed the family, without the one meant),
// a misspelt option (`--stag`) or one written with one dash (`-stage` said `Unknown option '-s'`), a misspelt choice
// (`--stage buildin`, `alerts --state opn`, `budget set dya 25`: every choice checked by the parser, none by its
// command), an option's value without the option (`jobs building`), and a job id argument no job id can be —
// the arguments in the wrong order (`artifact diff.patch job_…`) were sent and came back as the API's
// `validation_failed: jobId: … / fix the value named above`, exit 1.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

describe("a command line slightly wrong names what was meant", () => {
  it.each([
    [["tokens", "mnt"], 'unknown command "tokens mnt"; did you mean "tokens mint"?'],
    [
      ["dead-letters", "redrivee", "x"],
      'unknown command "dead-letters redrivee"; did you mean "dead-letters redrive"?',
    ],
    [["budget", "sett", "day", "25"], 'unknown command "budget sett"; did you mean "budget set"?'],
    [["enrollment-codes", "revokee", "x"], 'did you mean "enrollment-codes revoke"?'],
    [["factory", "aprove", "fac_1"], 'unknown command "factory aprove"; did you mean "factory approve"?'],
    [["jobs", "--stag", "building"], `Unknown option '--stag'; did you mean "--stage"?`],
    [["jobs", "-stage", "building"], `Unknown option '-stage': long options take two dashes; did you mean "--stage"?`],
    [["jobs", "-help"], `Unknown option '-help': long options take two dashes; did you mean "--help"?`],
    [["jobs", "--stage", "buildin"], 'got "buildin"; did you mean "building"?'],
    // Values once checked inside their command, without a hint: now the parser's choices, in the same words.
    [
      ["alerts", "--state", "opn"],
      '--state must be one of open, acknowledged, resolved; got "opn"; did you mean "open"?',
    ],
    [["alerts", "resolved"], 'unexpected argument "resolved"; did you mean "--state resolved"?'],
    [["budget", "set", "dya", "25"], 'PERIOD must be one of day, week, month; got "dya"; did you mean "day"?'],
    [["budget", "set", "day", "25", "--on-exhausted", "stpo"], 'got "stpo"; did you mean "stop"?'],
    [["jobs", "building"], 'unexpected argument "building"; did you mean "--stage building"?'],
    // Misspelt as well as without its option: the nearest choice, with the option.
    [["alerts", "resolvd"], 'unexpected argument "resolvd"; did you mean "--state resolved"?'],
    [["jobs", "buildin"], 'unexpected argument "buildin"; did you mean "--stage building"?'],
    [["tokens", "mint", "operator", "--name", "a"], 'unexpected argument "operator"; did you mean "--role operator"?'],
    [["artifact", "diff.patch", "job_0mx1"], '"diff.patch" is not a job id: the arguments are in the wrong order'],
    [["children", "kids.json", "job_0mx1"], '"kids.json" is not a job id: the arguments are in the wrong order'],
    [["job", "diff.patch"], '"diff.patch" is not a job id / copy one from the ID column of `gigafactory jobs`'],
  ])("%j", async (argv, said) => {
    const { url, lines } = await stubCoordinator((_req, reply) => reply.json(500, {}));
    const run = await captureCli([...argv, ...connection(url, "p")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^✘ ERROR usage: /);
    expect(run.stderr).toContain(said);
    expect(lines).toEqual([]);
  });

  it("says the order to give them in, under --json too", async () => {
    const run = await captureCli(["artifact", "diff.patch", "job_0mx1", "--json"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({
      error: { code: "usage", fix: "give the job id first: `gigafactory artifact ID NAME`", exitCode: 2 },
    });
  });

  it("a job id in its place and an unknown word far from any name are told as before", async () => {
    const { url, lines } = await stubCoordinator((_req, reply) =>
      reply.json(404, { type: "about:blank", title: "Not found", detail: "no job", code: "not_found" }),
    );
    expect((await captureCli(["artifact", "job_0mx1", "diff.patch", ...connection(url, "p")])).code).toBe(1);
    expect(lines).toEqual(["GET /api/v1/products/p/jobs/job_0mx1/artifacts/diff.patch"]);
    const far = await captureCli(["jobs", "zzzzzz"]);
    expect(far.stderr).toMatch(/^✘ ERROR usage: unexpected argument "zzzzzz" \/ /);
  });
});
