// One error code means one exit code across the CLI: every code src/cli throws with exit 2 is one of cli/exit-codes
// USAGE_CODES and every other exits 1 — `product_required` exited 2 from `login` and 1 from `jobs`, `not_logged_in`
// 1 where the agent's missing_url/missing_token are 2. `gigafactory --help` and the README name the 2s, and the
// overview lists `--version`.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { USAGE_CODES } from "../../src/cli/exit-codes.ts";
import { captureCli } from "../support/cli-harness.ts";
import { thrownCodes } from "../support/thrown-codes.ts";

const ADMIN = "admin-secret-token";

describe("one code, one exit code", () => {
  it("every code src/cli and src/shared throw has one exit, 2 exactly for the usage codes", () => {
    const found = thrownCodes("src/cli", "src/shared");
    expect(found.size).toBeGreaterThan(20); // the walk found the CLI's throws
    const twoExits = [...found].filter(([, exits]) => exits.size > 1).map(([code]) => code);
    expect(twoExits).toEqual([]);
    const exit2 = [...found].filter(([, exits]) => exits.has("2")).map(([code]) => code);
    expect(exit2.sort()).toEqual(USAGE_CODES.filter((c) => c !== "node_too_old").sort());
    // The one refusal made before the CLI loads, in plain JavaScript (bin/node-check.mjs).
    const bin = readFileSync("bin/node-check.mjs", "utf8");
    expect(bin).toContain('code: "node_too_old"');
    expect(bin).toContain("exitCode: 2");
  });

  it("product_required exits 2 from any command, as from login, --json's exitCode too", async () => {
    for (const argv of [["jobs"], ["login"]]) {
      const run = await captureCli([...argv, "--url", "http://127.0.0.1:2", "--token", ADMIN, "--json"]);
      expect(run.code, run.stderr).toBe(2);
      expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "product_required", exitCode: 2 } });
    }
  });

  it("not_logged_in exits 2: a command with no coordinator configured cannot run as written", async () => {
    const run = await captureCli(["jobs"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^✘ ERROR not_logged_in: no coordinator URL is configured[,/]/);
  });

  it("the overview and the README name the codes that exit 2, and --version", async () => {
    const help = (await captureCli(["--help"])).stdout;
    const readme = readFileSync("README.md", "utf8").replace(/\s+/g, " ");
    for (const code of USAGE_CODES) {
      expect(help).toContain(code);
      expect(readme).toMatch(new RegExp(`Exit 2 is [^.]*\`${code}\``));
    }
    expect(help).toMatch(/^Version: `gigafactory --version`/m);
    expect(readme).toContain("npx gigafactory --version");
  });
});
