// A FIFO (or a directory) named as an engine is refused in words, never waited on (agent/engine-start): the look
// for its `#!` line opened it with a plain open, which blocks until a writer comes — the agent's one thread stuck
// for good, every seat's lease lapsing — when exec's failure was read as ENOENT (the sandbox's view of it). Now it is
// opened without waiting and read only as a regular file, and both the start's look (`engineStartProblem`) and a
// failed start's words (`whyNotStarted`) say `a FIFO, not a program`, not `not executable` and `chmod a+rx`. The
// ENOENT case runs in a child process: red, it never returns, and the test sees that as a child that never exits.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { engineStartProblem, whyNotStarted } from "../../src/agent/engine-start.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-engine-fifo-"));
const fifo = path.join(dir, "claude");
execFileSync("mkfifo", ["-m", "755", fifo]);
const children: Array<ReturnType<typeof spawn>> = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const ENGINE_START = path.resolve(import.meta.dirname, "../../src/agent/engine-start.ts");

/** `whyNotStarted`'s words for `argv0` failing with `code`, computed in a child process (its output, once it exits). */
function wordsInChild(argv0: string, code: string): Promise<string> {
  const src = `import { whyNotStarted } from ${JSON.stringify(ENGINE_START)};
process.stdout.write(whyNotStarted(${JSON.stringify(argv0)}, { code: ${JSON.stringify(code)}, message: "spawn failed" },
  { env: { PATH: ${JSON.stringify(dir)} }, cwd: ${JSON.stringify(dir)} }));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", src], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  return new Promise((r) => child.once("exit", () => r(out)));
}

describe("a FIFO named as an engine", () => {
  it("a failed start read as ENOENT: said at once, not a wait on the FIFO for a writer", async () => {
    expect(await wordsInChild("claude", "ENOENT")).toBe(
      `${fifo}: a FIFO, not a program: name the engine's program in its template (--engine NAME=…)`,
    );
  });

  it("exec's EACCES for it: no `chmod a+rx` advice", () => {
    const why = whyNotStarted(fifo, { code: "EACCES", message: "spawn EACCES" }, { env: { PATH: "" }, cwd: dir });
    expect(why).toBe(`${fifo}: a FIFO, not a program: name the engine's program in its template (--engine NAME=…)`);
  });

  it("the start's look says what it is; a directory too", () => {
    expect(engineStartProblem("claude", { pathVar: dir, cwd: dir })).toBe(
      `${fifo}: a FIFO, not a program: name the engine's program in its template (--engine NAME=…)`,
    );
    const sub = path.join(dir, "codex");
    mkdirSync(sub);
    expect(engineStartProblem(sub, { pathVar: "", cwd: dir })).toContain(`${sub}: a directory, not a program`);
  });
});
