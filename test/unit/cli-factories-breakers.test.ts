// `gigafactory factories` shows each factory's breakers in a BREAKERS column (open ones with the time left, closed
// ones with their run of failures, `-` for none) and points at `factory release` for a quarantined one;
// `gigafactory factory release ID` POSTs …/factories/ID/release and prints the factory's new status, or the
// coordinator's refusal as one `✘ ERROR code: … / how to fix` line. `settings get` shows the breaker, overflow,
// error-budget and health settings.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/cli/args.ts";
import { breakerCell } from "../../src/cli/commands/factories.ts";
import { formatSettings } from "../../src/cli/commands/settings.ts";
import { type Io, makeContext } from "../../src/cli/context.ts";
import { formatError, toCliError } from "../../src/cli/errors.ts";
import { COMMANDS } from "../../src/cli/registry.ts";
import { withDefaults } from "../../src/core/settings.ts";

const NOW = 1_700_000_060_000;
let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

const factory = (over: Record<string, unknown>) => ({
  id: "fac_1",
  productId: "shop",
  name: "box-1",
  capabilities: ["engine:claude"],
  seats: 2,
  load: 0,
  health: "ok",
  status: "active",
  createdAt: NOW - 60_000,
  breakers: [],
  ...over,
});

/** A stand-in coordinator: one quarantined factory with an open breaker; release works once. */
async function coordinator(): Promise<{ url: string; calls: string[] }> {
  const calls: string[] = [];
  let status = "quarantined";
  server = createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    const send = (code: number, doc: unknown, type = "application/json") => {
      res.writeHead(code, { "content-type": type });
      res.end(JSON.stringify(doc));
    };
    const breakers = [{ engine: "claude", state: "open", consecutiveFailures: 5, openUntil: NOW + 90_000 }];
    if (req.method === "GET" && req.url === "/api/v1/products/shop/factories")
      return send(200, { factories: [factory({ status, breakers })] });
    if (req.method === "POST" && req.url === "/api/v1/products/shop/factories/fac_1/release") {
      if (status !== "quarantined") {
        const detail = "factory fac_1 is active, not quarantined: nothing to release";
        return send(409, { title: "Conflict", detail, code: "conflict" }, "application/problem+json");
      }
      status = "active";
      return send(200, factory({ status }));
    }
    return send(404, { code: "not_found" });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls };
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
    const line = parseCommandLine([...argv, "--url", url, "--token", "t", "--product", "shop"], COMMANDS);
    code = (await line.command!.run(makeContext(io, line.values, line.positionals))) ?? 0;
  } catch (err) {
    const e = toCliError(err);
    io.stderr(`${formatError(e)}\n`);
    code = e.exitCode;
  }
  return { code, stdout, stderr };
}

describe("breakerCell", () => {
  it("shows open breakers with the time left, closed ones with their failures, none as -", () => {
    expect(breakerCell([], NOW)).toBe("-");
    expect(breakerCell(undefined, NOW)).toBe("-");
    const cell = breakerCell(
      [
        { engine: "*", state: "closed", consecutiveFailures: 3 },
        { engine: "claude", state: "open", consecutiveFailures: 5, openUntil: NOW + 120_000 },
        { engine: "codex", state: "half_open", consecutiveFailures: 5 },
      ],
      NOW,
    );
    expect(cell).toMatch(/^\* closed \(3 failed\), claude open \(2m.* left\), codex half-open$/);
  });
});

describe("gigafactory factories / factory release", () => {
  it("lists the BREAKERS column and hints at release for a quarantined factory", async () => {
    const { url } = await coordinator();
    const r = await cli(url, "factories");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/BREAKERS/);
    expect(r.stdout).toMatch(/quarantined .*claude open \(1m.* left\)/);
    expect(r.stdout).toContain("gigafactory factory release ID");
  });

  it("release POSTs …/release and prints the new status; a second one is refused with ✘ ERROR conflict", async () => {
    const { url, calls } = await coordinator();
    const ok = await cli(url, "factory", "release", "fac_1");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("✔ factory box-1 (fac_1) is released and active again");
    expect(calls).toContain("POST /api/v1/products/shop/factories/fac_1/release");
    const again = await cli(url, "factory", "release", "fac_1");
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^✘ ERROR conflict: factory fac_1 is active, not quarantined/);
  });
});

describe("settings output", () => {
  it("shows overflow, breaker, errorBudget and health", () => {
    const text = formatSettings(withDefaults(undefined));
    expect(text).toMatch(/^overflow\s+route /m);
    expect(text).toMatch(/^breaker\s+open after 5 failures · cool-down 60 s, doubling up to 3600 s$/m);
    expect(text).toMatch(/^errorBudget\s+quarantine after more than 10 failures in 60 min$/m);
    expect(text).toMatch(/^health\s+stuck after 30 min · starving after 60 min · expected finish every 30 min$/m);
  });
});
