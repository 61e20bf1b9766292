// The command `gigafactory-agent enroll` says to start the agent with is one a person can paste and run, from any
// directory: it said `gigafactory-agent run`, which no install puts on PATH (`command not found`), and the only way
// to make it run, `npx gigafactory-agent run`, is the one README "Install the agent on a host" warns against (npm's
// child, out of reach of a SIGTERM). Now the checkout's Node running the agent's bin, by absolute paths, with the
// state dir quoted as one shell word. The real agent process; the printed command is run through a real shell.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { runAgent } from "./agent-process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-enroll-hint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = `gf_acme_${"S".repeat(40)}x_y`;

describe("enroll's `start with:` command", () => {
  it("runs as printed, from another directory, the state dir with a space in it included", async () => {
    const stateDir = path.join(dir, "state dir");
    const enrolled = await runAgent([
      "enroll",
      "--url",
      "http://127.0.0.1:2",
      "--product",
      "acme",
      "--token",
      TOKEN,
      "--state-dir",
      stateDir,
    ]);
    expect(enrolled.code, enrolled.out).toBe(0);
    const command = /start with: (.+)$/m.exec(enrolled.out)?.[1];
    expect(command, enrolled.out).toBeDefined();
    expect(command).toMatch(/^\/\S+ \/\S+\/bin\/gigafactory-agent\.mjs run --state-dir '.+\/state dir'$/);
    // `--help` after the printed words: the agent's usage, exit 0 — the command names a real Node and agent.
    const shell = await promisify(execFile)("/bin/sh", ["-c", `${command} --help`], { cwd: dir });
    expect(shell.stdout).toContain("gigafactory-agent — runs coding jobs");
  });
});
