// Every script the README tells a user to run works from a shell whose `node` is Node 20 (the README's minimum): it
// is an npm script, which runs on the pinned Node 22 in node_modules/.bin — `node scripts/x.ts` on Node 20 failed
// with ERR_UNKNOWN_FILE_EXTENSION ".ts" — and every `npm run X` the READMEs name exists; a bad argument to such a
// script (dashboard:config's `--api ftp://x`, a bare `--api`, an `--out` that is the dashboard itself; `npm test`'s
// misspelt layer) is one `✘ ERROR code: … / how to fix` line and exit 2, never a stack trace. The agent's `run` line
// starts a process that is the agent: a SIGTERM to its PID drains it (`npx gigafactory-agent run` was npm's PID, and
// the signal killed npm while the agent went on taking jobs).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { STATE_LOCK_FILE } from "../../src/agent/state-lock.ts";
import { until } from "./agent-fakes.ts";

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

describe("the README's agent start command", () => {
  it("starts the agent itself: a SIGTERM to the PID it gives drains the agent", async () => {
    const install = READMES[0]!.slice(READMES[0]!.indexOf("### Install the agent on a host"));
    const line = /^(\S.*gigafactory-agent\S* run)$/m.exec(install)?.[1];
    expect(line, "the install block's run line").toBeDefined();
    const [cmd, ...args] = line!.split(" ");
    const stateDir = mkdtempSync(path.join(tmpdir(), "gf-readme-agent-"));
    const sample = path.join(ROOT, "examples/engines/sample-engine.mjs");
    // Against a port nothing listens on, it keeps reconnecting: alive until signalled. From the user's shell.
    const child = spawn(
      cmd!,
      [
        ...args,
        ...["--state-dir", stateDir, "--url", "http://127.0.0.1:2", "--token", `gf_acme_${"T".repeat(43)}`],
        ...["--engine-user", userInfo().username, "--engine", `sample=${process.execPath} ${sample}`],
      ],
      { cwd: ROOT, env: { ...process.env, PATH: USER_PATH, GIGAFACTORY_URL: "", GIGAFACTORY_FACTORY_TOKEN: "" } },
    );
    let out = "";
    for (const stream of [child.stdout, child.stderr])
      stream.setEncoding("utf8").on("data", (d: string) => {
        out += d;
      });
    const exited = new Promise((r) => child.once("exit", r));
    try {
      await until("the agent connecting", () => out.includes("connecting to"));
      child.kill("SIGTERM");
      await exited;
      // The PID's exit is the agent's: it drained. Through npm exec, npm died and the agent never heard.
      await until("the agent drained", () => out.includes("drained"), 10_000);
    } finally {
      // An agent the signal missed (the fault) is ended by the pid its own lock file names.
      const lock = path.join(stateDir, STATE_LOCK_FILE);
      const pid = existsSync(lock) ? Number.parseInt(readFileSync(lock, "utf8"), 10) : Number.NaN;
      if (Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
