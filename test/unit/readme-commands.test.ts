// Every script the README tells a user to run works from a shell whose `node` is Node 20 (the README's minimum): it
// is an npm script, which runs on the pinned Node 22 in node_modules/.bin — `node scripts/x.ts` on Node 20 failed
// with ERR_UNKNOWN_FILE_EXTENSION ".ts" — and every `npm run X` the READMEs name exists; a bad argument to such a
// script (dashboard:config's `--api ftp://x`, a bare `--api`, an `--out` that is the dashboard itself; `npm test`'s
// misspelt layer) is one `✘ ERROR code: … / how to fix` line and exit 2, never a stack trace.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const READMES = ["README.md", "bench/README.md"].map((f) => readFileSync(path.join(ROOT, f), "utf8"));
const SCRIPTS = Object.keys(
  (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts,
);

/** The caller's PATH without node_modules/.bin: `node` and `npm` are whatever the user's shell has (Node 20 here). */
const USER_PATH = (process.env.PATH ?? "")
  .split(path.delimiter)
  .filter((d) => !d.includes(`node_modules${path.sep}.bin`))
  .join(path.delimiter);

/** `npm run --silent <script> -- ...args` from the user's shell. */
function npmRun(script: string, ...args: string[]) {
  const r = spawnSync("npm", ["run", "--silent", script, "--", ...args], {
    cwd: ROOT,
    env: { ...process.env, PATH: USER_PATH },
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the commands the README names", () => {
  it("runs no .ts file with a bare `node` (Node 20 cannot), and names only npm scripts that exist", () => {
    for (const text of READMES) {
      expect(text.match(/`node (?:scripts|bench)\/[\w-]+\.ts[^`]*`/g) ?? []).toEqual([]);
      const named = [...text.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]);
      expect(named.filter((s) => !SCRIPTS.includes(s ?? ""))).toEqual([]);
    }
  });

  it("runs the README's scripts through npm from the user's shell", () => {
    const map = npmRun("source-map", "--tests");
    expect(map.code, map.stderr).toBe(0);
    expect(map.stdout).toContain("| `test/unit/readme-commands.test.ts` |");
    expect(npmRun("vendor:dashboard", "--check").code).toBe(0);
  });

  it.each([
    [["--api", "ftp://x"], "bad_api"],
    [["--api", "nope"], "bad_api"],
    [["--api"], "usage"],
    [["--out", "dashboard"], "bad_out"],
    [["--out", "."], "bad_out"],
    [["--out", "dashboard/copy"], "bad_out"],
  ])("dashboard:config %j: one ✘ ERROR %s line, exit 2", (args, code) => {
    const r = npmRun("dashboard:config", ...args);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: "" });
    expect(r.stderr).toMatch(new RegExp(`^✘ ERROR ${code}: .+ / .+\\n$`));
  });

  it("npm test with a misspelt layer refuses instead of running nothing", () => {
    const r = npmRun("test", "unti");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^✘ ERROR usage: no test layer named "unti" \/ .+\n$/);
  });
});
