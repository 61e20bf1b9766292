// `gigafactory jobs --all` over a real local socket: it follows nextCursor to the end, showing a running count on a
// terminal's stderr (nothing on a pipe, nothing under --json); a server that hands out the same cursor twice ends it
// with `✘ ERROR bad_response` instead of paging forever with every page held in memory; a failure while the count
// is on screen starts its `✘ ERROR` line on a cleared line of its own (it was glued to the count: `… 2 jobs read✘`).
import { describe, expect, it } from "vitest";
import { captureCli, connection, runCli, stubCoordinator } from "../support/cli-harness.ts";

/** captureCli with stderr a terminal (the harness's stands for a pipe). */
async function onTerminal(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: true,
    env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/config.json" },
    now: () => 0,
  });
  return { code, stdout, stderr };
}

const job = (n: number) => ({
  id: `job_${n}`,
  title: `t${n}`,
  stage: "queued",
  priority: "normal",
  attempt: 0,
  maxAttempts: 3,
  createdAt: 0,
});

describe("gigafactory jobs --all", () => {
  it("reads every page, counting on a terminal and staying quiet on a pipe and under --json", async () => {
    const stub = await stubCoordinator((req, reply) => {
      const at = Number(new URL(req.url, "http://x").searchParams.get("cursor") ?? 0);
      reply.json(200, { jobs: [job(at), job(at + 1)], ...(at < 4 ? { nextCursor: String(at + 2) } : {}) });
    });
    const tty = await onTerminal(["jobs", "--all", ...connection(stub.url, "p")]);
    expect(tty.code).toBe(0);
    expect(tty.stdout.trim().split("\n")).toHaveLength(7); // header + 6 jobs
    expect(tty.stderr).toContain("… 4 jobs read");
    const piped = await captureCli(["jobs", "--all", ...connection(stub.url, "p")]);
    expect(piped.stderr).toBe("");
    const json = await onTerminal(["jobs", "--all", "--json", ...connection(stub.url, "p")]);
    expect(json.stderr).toBe("");
    expect(JSON.parse(json.stdout).jobs).toHaveLength(6);
  });

  it("stops with bad_response when the server hands out a cursor it handed out before", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { jobs: [job(1)], nextCursor: "same" }));
    for (const extra of [[], ["--json"]]) {
      const r = await captureCli(["jobs", "--all", ...extra, ...connection(stub.url, "p")]);
      // Nothing of the pages read: only --json's error document.
      const stdout = extra.length ? JSON.parse(r.stdout).error.code : r.stdout;
      expect({ code: r.code, stdout }).toEqual({ code: 1, stdout: extra.length ? "bad_response" : "" });
      expect(r.stderr).toMatch(/^✘ ERROR bad_response: the coordinator handed out the page cursor "same" twice/);
    }
    expect(stub.lines.length).toBe(4); // two pages each: the second repeats the cursor
  });

  it("starts the ✘ ERROR line of a failure mid-count on a line of its own, the count cleared", async () => {
    const stub = await stubCoordinator((req, reply) => {
      if (new URL(req.url, "http://x").searchParams.get("cursor") === null)
        reply.json(200, { jobs: [job(1), job(2)], nextCursor: "2" });
      else
        reply.problem(503, { type: "about:blank", title: "x", detail: "the coordinator is busy", code: "unavailable" });
    });
    const tty = await onTerminal(["jobs", "--all", ...connection(stub.url, "p")]);
    expect(tty.code).toBe(1);
    expect(tty.stderr).toContain("… 2 jobs read");
    // The report is what is left on screen after the last "clear the line": it starts there, at column 0.
    expect(tty.stderr.split("\r\x1b[K").at(-1)).toMatch(/^✘ ERROR unavailable: the coordinator is busy \/ /);
  });
});
