// Hostile command lines the parser let through (cli/args-refusals), over a real local socket that records whether
// anything was sent: an option of one value given twice with two values (`--stage queued --stage failed`, `--url=A
// --url B`) is a usage error naming both, exit 2, before any request — parseArgs kept the last without a word, so
// `jobs --stage queued --stage failed` listed only the failed jobs, and a second --url or --token silently replaced
// the first. A token given twice is named, never echoed. The same value twice, a repeatable option (`--cap`) and a
// flag twice (`--json --json`) pass. Under --json the refusal is still stdout's one document and stderr's one line.
// A value with the flag that clears it (`lessons edit --engine E --no-engine`: the clear won silently) is refused too.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const SECRET = `gf_shop_${"S".repeat(43)}`;

async function coordinator() {
  return stubCoordinator((_req, reply) => reply.json(200, { jobs: [] }));
}

describe("an option of one value given twice", () => {
  it("with two values is a usage error naming both, before any request", async () => {
    const stub = await coordinator();
    for (const argv of [
      ["jobs", "--stage", "queued", "--stage=failed", ...connection(stub.url, "shop")],
      ["jobs", `--url=${stub.url}`, ...connection(`${stub.url}/`, "shop")],
      ["jobs", "--limit", "5", "--limit", "6", ...connection(stub.url, "shop")],
    ]) {
      const run = await captureCli(argv);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(
        /^✘ ERROR usage: --(stage|url|limit) given twice \(".+", then ".+"\): it takes one value/,
      );
      expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    }
    expect(stub.lines).toEqual([]);
  });

  it("under --json: stdout's one document, stderr's one line; a token is never echoed", async () => {
    const stub = await coordinator();
    const run = await captureCli(["jobs", "--json", "--token", SECRET, ...connection(stub.url, "shop", "other")]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({
      error: {
        code: "usage",
        message: "--token given twice: it takes one value",
        fix: expect.any(String),
        exitCode: 2,
      },
    });
    expect(run.stderr).toMatch(/^✘ ERROR usage: --token given twice: it takes one value \/ [^\n]+\n$/);
    expect(run.stdout + run.stderr).not.toContain(SECRET);
    expect(stub.lines).toEqual([]);
  });

  it("passes with the same value twice, a repeatable option, and a flag twice", async () => {
    const stub = await coordinator();
    const same = await captureCli(["jobs", "--stage", "queued", "--stage=queued", ...connection(stub.url, "shop")]);
    expect(same.code, same.stderr).toBe(0);
    const json = await captureCli(["jobs", "--json", "--json", ...connection(stub.url, "shop")]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ jobs: [] });
    expect(stub.lines).toEqual([
      "GET /api/v1/products/shop/jobs?stage=queued&limit=50",
      "GET /api/v1/products/shop/jobs?limit=50",
    ]);
  });
});

describe("a value and its clearing flag at once", () => {
  it("lessons edit --engine E --no-engine (or the serial key's pair) is a usage error, nothing sent", async () => {
    const stub = await coordinator();
    for (const pair of [
      ["--engine", "claude", "--no-engine"],
      ["--no-serial-key", "--serial-key=db"],
    ]) {
      const run = await captureCli(["lessons", "edit", "les_abc", ...pair, ...connection(stub.url, "shop")]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/^✘ ERROR usage: --(engine|serial-key) and --no-\1 contradict each other: give one/);
    }
    expect(stub.lines).toEqual([]);
  });
});
