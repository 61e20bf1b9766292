// Text from elsewhere cannot drive the operator's terminal (core/terminal-text): an engine's log line streamed by
// `gigafactory watch`, a job title `gigafactory jobs` lists (tracker ingest takes titles from issues anyone can file)
// and what the agent prints of a job all reach the terminal with their control characters shown as pictures (ESC as
// `␛`), never obeyed — no OSC 52 clipboard write, no screen clear, no CR overwriting a line on screen — while --json
// keeps the text exactly (JSON escapes it). Found by a security review: every one of them was written raw. So does an
// artifact `gigafactory artifact` shows on a terminal (a factory's log.txt was written raw), while a pipe gets its
// bytes exactly, and both are checked against the recorded SHA-256.

import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { createOutput } from "../../src/agent/output.ts";
import { terminalText } from "../../src/core/terminal-text.ts";
import { captureCli, connection, stubCoordinator, stubShippedJobWithLog } from "../support/cli-harness.ts";

const AT = Date.UTC(2026, 0, 1, 12, 0, 0);
/** Writes "evil" to the clipboard (OSC 52), clears the screen, then hides "rm -rf ~" behind a carriage return. */
const HOSTILE = "ok\u001b]52;c;ZXZpbA==\u0007\u001b[2Jhidden: rm -rf ~\rlooks fine\u009b31m";
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must not get through
const RAW_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe("gigafactory watch", () => {
  it("shows an engine's control characters instead of sending them to the terminal; --json keeps them", async () => {
    const stub = await stubShippedJobWithLog(HOSTILE, AT);
    const run = await captureCli(["watch", "job_1", ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(RAW_CONTROLS);
    expect(run.stdout).toContain("ok␛]52;c;ZXZpbA==␇␛[2Jhidden: rm -rf ~␍looks fine");
    const json = await captureCli(["watch", "job_1", "--json", ...connection(stub.url, "p")]);
    expect(JSON.parse(json.stdout.split("\n")[0] as string).data.lines[0].text).toBe(HOSTILE);
  });
});

describe("gigafactory jobs", () => {
  it("lists a title holding escape sequences without its escapes acting", async () => {
    const job = {
      id: "job_1",
      title: `Fix login${HOSTILE}`,
      stage: "queued",
      priority: "high",
      attempt: 0,
      maxAttempts: 3,
      createdAt: AT,
    };
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { jobs: [job] }));
    const run = await captureCli(["jobs", ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Fix login");
    expect(run.stdout).not.toMatch(RAW_CONTROLS);
  });
});

describe("gigafactory artifact", () => {
  it("shows an artifact's control characters on a terminal instead of obeying them; a pipe gets its bytes", async () => {
    const log = `engine says: ${HOSTILE}\n`;
    const stub = await stubCoordinator((_req, reply) =>
      reply.text(200, log, "text/plain", { "x-content-sha256": createHash("sha256").update(log).digest("hex") }),
    );
    const argv = ["artifact", "job_1", "log.txt", ...connection(stub.url, "p")];
    const shown = await captureCli(argv, { stdoutIsTTY: true });
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toMatch(RAW_CONTROLS);
    expect(shown.stdout).toBe(`${terminalText(log)}`);
    const piped = await captureCli(argv);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(log);
  });
});

describe("gigafactory submit", () => {
  it("reports a refusal whose detail holds escape sequences, for one file and under the progress of many", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gf-cli-esc-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const files = ["a.md", "b.md"].map((f) => path.join(dir, f));
    for (const f of files) writeFileSync(f, "---\ntitle: x\n---\n");
    // The coordinator quotes what it refused; a proxy or a compromised coordinator could say anything.
    const stub = await stubCoordinator((_req, reply) =>
      reply.problem(400, { title: "Bad manifest", detail: `refused: ${HOSTILE}`, code: "invalid_manifest" }),
    );
    for (const argv of [[files[0]!], files]) {
      const run = await captureCli(["submit", ...argv, ...connection(stub.url, "p")]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("✘ ERROR invalid_manifest:");
      expect(run.stderr).toContain("refused: ok");
      expect(run.stderr).not.toMatch(RAW_CONTROLS);
    }
  });
});

describe("the agent's output", () => {
  it("prints a job title and a coordinator's reason with their control characters shown", () => {
    const lines: string[] = [];
    const out = createOutput(false, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    out.say("▶", "job.start", `job_1 ${HOSTILE} (attempt 1)`);
    out.say("⚠", "server.error", `coordinator error conflict: ${HOSTILE}`);
    out.error("revoked", HOSTILE, "enroll again");
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).not.toMatch(RAW_CONTROLS);
  });
});

describe("terminalText", () => {
  it("keeps newlines, tabs and every printable script; pictures the rest", () => {
    expect(terminalText("a\tb\nc 漢字 🚀 é")).toBe("a\tb\nc 漢字 🚀 é");
    expect(terminalText("\u001b[31mred\u001b[0m")).toBe("␛[31mred␛[0m");
    expect(terminalText("\u0000\u007f\u009b")).toBe("␀␡\ufffd");
  });
});
