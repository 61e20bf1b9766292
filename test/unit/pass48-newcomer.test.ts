// What a newcomer trying the benchmark as bench/README.md writes it (pass 48, helper N) met, each RED until fixed:
// `npm run bench:floor -- --help` was refused `✘ ERROR bad_option: Unknown option '--help'` (exit 2) where
// `npm run bench -- --help` prints its usage (exit 0); and both usages write each option as `[-- --json] [-- --quick]`,
// but a command line typed that way (`npm run bench -- --quick -- --json`: npm passes the second `--` on) was refused
// (`unknown option --`; the floor's `Unexpected argument '--memory'`). The bench's own usage error is no `✘ ERROR`
// line (STYLE: `✘ ERROR code: what happened / how to fix it`), as the floor's is.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { floorArgs } from "../../bench/floor.ts";
import { parseArgs } from "../../bench/suite.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
// Only argument errors and --help: neither starts a runtime (each ends before main's first log line).
const run = (script: string, args: string[]) =>
  spawnSync(NODE, [path.join(ROOT, script), ...args], { encoding: "utf8", timeout: 30_000 });

describe("the benchmark's command lines, as its usage and README write them", () => {
  it("`bench:floor -- --help` prints the usage and exits 0, as `bench -- --help` does", () => {
    const bench = run("bench/run.ts", ["--help"]);
    expect(bench.status).toBe(0);
    const floor = run("bench/floor.ts", ["--help"]);
    expect.soft(floor.stderr + floor.stdout).toMatch(/usage: npm run bench:floor/);
    expect.soft(floor.stderr).not.toMatch(/bad_option/); // was: ✘ ERROR bad_option: Unknown option '--help'
    expect.soft(floor.status).toBe(0); // was: 2
  });

  it("takes the options the way the usage writes them, `-- --quick -- --json`", () => {
    // The usage's `[-- --json] [-- --quick]`: npm strips the first `--` only.
    expect.soft(parseArgs(["--quick", "--", "--json"])).toMatchObject({ quick: true, json: true }); // was: unknown option --
    expect.soft(floorArgs(["--json", "--", "--memory"])).toMatchObject({ json: true, memory: true }); // was: Unexpected argument
  });

  it("says a bad `--only` as a `✘ ERROR` line with its fix, exit 2", () => {
    const typo = run("bench/run.ts", ["--only", "growht"]);
    expect(typo.status).toBe(2);
    expect.soft(typo.stderr).toMatch(/^✘ ERROR \w+: unknown scenario "growht"/m); // was: a bare `unknown scenario …`
  });
});
