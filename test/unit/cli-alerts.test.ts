// `gigafactory alerts` and `health` over a real local socket: the default list asks for open and acknowledged
// alerts and shows them newest first in a table, `--state` asks for one state and refuses an unknown one as a usage
// error (exit 2, nothing sent), `--ack ID` POSTs the acknowledgement, `--json` prints the API's documents, `health`
// shows the status line, and a refusal prints `✘ ERROR conflict: …` with a non-zero exit.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/cli/args.ts";
import { type Io, makeContext } from "../../src/cli/context.ts";
import { formatError, toCliError } from "../../src/cli/errors.ts";
import { COMMANDS } from "../../src/cli/registry.ts";

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

const NOW = 1_700_000_060_000;
const alert = (id: string, state: string) => ({
  id,
  kind: "stuck",
  severity: "warning",
  subject: "job:j1",
  message: "no event for 31 min",
  state,
  openedAt: NOW - 60_000,
  updatedAt: NOW - 60_000,
});
const HEALTH = {
  status: "degraded",
  checkedAt: NOW,
  factories: { ok: 1, degraded: 1, down: 0 },
  openAlerts: { info: 0, warning: 1, critical: 0, total: 1 },
  lastFinishedAt: null,
  oldestQueuedAt: null,
  queued: 0,
  building: 1,
  thresholds: { stuckAfterMinutes: 30, starvingAfterMinutes: 60, expectedFinishIntervalMinutes: 30 },
};

async function coordinator(): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const url = req.url ?? "";
      seen.push(`${req.method} ${url}`);
      if (url.includes("/alerts/al_gone/ack")) {
        res.writeHead(409, { "content-type": "application/problem+json" });
        return res.end(
          JSON.stringify({
            type: "about:blank",
            title: "Conflict",
            status: 409,
            code: "conflict",
            detail: "alert al_gone is resolved already",
          }),
        );
      }
      res.writeHead(200, { "content-type": "application/json" });
      if (url.includes("/ack"))
        return res.end(JSON.stringify({ ...alert("al_2", "acknowledged"), acknowledgedBy: "op" }));
      if (url.includes("/health")) return res.end(JSON.stringify(HEALTH));
      if (url.includes("state=open")) return res.end(JSON.stringify({ alerts: [alert("al_1", "open")] }));
      if (url.includes("state=acknowledged"))
        return res.end(JSON.stringify({ alerts: [alert("al_2", "acknowledged")] }));
      return res.end(JSON.stringify({ alerts: [] }));
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function cli(url: string, ...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
    env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/config.json" },
    now: () => NOW,
  };
  let code: number;
  try {
    const line = parseCommandLine([...argv, "--url", url, "--token", "t", "--product", "p"], COMMANDS);
    code = (await line.command!.run(makeContext(io, line.values, line.positionals))) ?? 0;
  } catch (err) {
    const e = toCliError(err);
    io.stderr(`${formatError(e)}\n`);
    code = e.exitCode;
  }
  return { code, stdout, stderr };
}

describe("gigafactory alerts", () => {
  it("lists live alerts newest first, one state with --state, and acknowledges with --ack", async () => {
    const { url, seen } = await coordinator();
    const live = await cli(url, "alerts");
    expect(live.code).toBe(0);
    expect(live.stdout).toMatch(/^ID\s+STATE\s+SEVERITY\s+KIND\s+SUBJECT\s+OPENED\s+MESSAGE\n/);
    expect(live.stdout.indexOf("al_2")).toBeLessThan(live.stdout.indexOf("al_1"));
    expect(live.stdout).toMatch(/al_1\s+open\s+warning\s+stuck\s+job:j1\s+\S+\s+no event for 31 min/);
    const one = await cli(url, "alerts", "--state", "open", "--json");
    expect(JSON.parse(one.stdout)).toEqual({ alerts: [alert("al_1", "open")] });
    const acked = await cli(url, "alerts", "--ack", "al_2");
    expect(acked).toMatchObject({ code: 0, stdout: "✔ acknowledged al_2 (stuck job:j1) by op\n" });
    expect(seen.filter((s) => s.startsWith("POST"))).toEqual(["POST /api/v1/products/p/alerts/al_2/ack"]);
  });

  it("refuses an unknown --state as a usage error, sending nothing, and reports the API's refusal", async () => {
    const { url, seen } = await coordinator();
    const bad = await cli(url, "alerts", "--state", "closed");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^✘ ERROR usage: --state must be one of open, acknowledged, resolved/);
    expect(seen).toEqual([]);
    const gone = await cli(url, "alerts", "--ack", "al_gone");
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/^✘ ERROR conflict: alert al_gone is resolved already/);
  });
});

describe("gigafactory health", () => {
  it("shows the status, the factories and the open alerts; --json prints the document", async () => {
    const { url } = await coordinator();
    const h = await cli(url, "health");
    expect(h.stdout).toMatch(/status\s+degraded\n/);
    expect(h.stdout).toMatch(/factories\s+1 ok · 1 degraded · 0 down/);
    expect(h.stdout).toMatch(/open alerts\s+1 \(0 critical · 1 warning · 0 info\)/);
    expect(JSON.parse((await cli(url, "health", "--json")).stdout)).toEqual(HEALTH);
  });
});
