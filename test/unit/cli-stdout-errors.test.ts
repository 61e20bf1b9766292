// The real `gigafactory` process when its stdout fails, from a child process: output that could not be written (a
// full disk: stdout on /dev/full) is `✘ ERROR stdout_unwritable` and exit 1 — it was swallowed with exit 0, so a
// script's `gigafactory jobs --json > jobs.json` on a full disk read as success with a truncated file — while a
// reader that went away (`gigafactory … | head -1`: EPIPE) still ends it quietly with exit 0 and no stack trace —
// unless the command failed: its --json error document meeting the closed pipe keeps the failure's code (it was 0); a
// stderr whose reader went away keeps the exit code the command chose (it crashed with 1 on the ✘ ERROR line's EPIPE).
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../../bin/gigafactory.mjs", import.meta.url));

/** Runs the CLI with `stdout` as its fd 1 ("pipe": a pipe whose reading end is closed at once); answers exit and stderr. */
function run(argv: readonly string[], stdout: number | "pipe"): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...argv], {
    stdio: ["ignore", stdout, "pipe"],
    env: { ...process.env, GIGAFACTORY_CONFIG: "/nonexistent/config.json", NO_COLOR: "1" },
  });
  child.stdout?.destroy(); // the reader is gone before the first write
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString("utf8");
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
}

describe("gigafactory's stdout failing", () => {
  it.skipIf(!existsSync("/dev/full"))("a write that fails (ENOSPC) is ✘ ERROR stdout_unwritable, exit 1", async () => {
    const full = openSync("/dev/full", "w");
    try {
      for (const argv of [["--version"], ["--help"], ["jobs", "--json", "--bogus"]]) {
        const r = await run(argv, full);
        expect({ argv, code: r.code }).toEqual({ argv, code: 1 });
        expect(r.stderr).toMatch(
          /^(✘ ERROR usage: .*\n)?✘ ERROR stdout_unwritable: cannot write to stdout \(ENOSPC\) \/ /,
        );
        expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      }
    } finally {
      closeSync(full);
    }
  });

  it("a reader that went away (EPIPE) ends it with exit 0 and nothing on stderr", async () => {
    const r = await run(["--help"], "pipe");
    expect(r).toEqual({ code: 0, stderr: "" });
  });

  it("a failure whose --json document meets a reader gone keeps its exit code (2 usage, 1 failed), not 0", async () => {
    // It exited 0: `set -o pipefail` scripts read a usage error or an unreachable coordinator as done.
    const usage = await run(["jobs", "--json", "--bogus"], "pipe");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^✘ ERROR usage: /);
    // Port 9 is refused by fetch itself ("bad port"): a failure without any network wait.
    const failed = await run(
      ["jobs", "--json", "--url", "http://127.0.0.1:2", "--token", "t", "--product", "p"],
      "pipe",
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^✘ ERROR unreachable: /);
    // The URL may be the one `login` saved (a demo restarted on another port): the fix names that place too.
    expect(failed.stderr).toContain("the one `gigafactory login` saved (log in again to change it)");
  });

  it("a stderr whose reader went away keeps the command's exit code (2 for usage), not a crash's 1", async () => {
    const child = spawn(process.execPath, [BIN, "jobs", "--bogus"], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr!.destroy(); // `gigafactory … 2>&1 | true`: the ✘ ERROR line meets EPIPE
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(2);
  });
});
