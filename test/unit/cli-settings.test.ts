// `gigafactory settings get|set` over a real local socket: KEY=VALUE words become a nested JSON patch (values read as
// JSON where they parse), the settings print as readable lines or one --json document, and a refused patch is one
// `✘ ERROR validation_failed: … / how to fix` line with exit 1 (a malformed word is a usage error, exit 2).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/cli/args.ts";
import { parseAssignments } from "../../src/cli/commands/settings.ts";
import { type Io, makeContext } from "../../src/cli/context.ts";
import { formatError, toCliError } from "../../src/cli/errors.ts";
import { COMMANDS } from "../../src/cli/registry.ts";
import { applySettingsPatch, DEFAULT_SETTINGS, SettingsPatchSchema, withDefaults } from "../../src/core/settings.ts";

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A stand-in coordinator holding one product's settings, validating patches with the real schema. */
async function coordinator(): Promise<{ url: string; patches: unknown[] }> {
  let settings = withDefaults(undefined);
  const patches: unknown[] = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      const send = (status: number, doc: unknown, type = "application/json") => {
        res.writeHead(status, { "content-type": type });
        res.end(JSON.stringify(doc));
      };
      if (req.url !== "/api/v1/products/shop/settings") return send(404, { code: "not_found" });
      if (req.method === "GET") return send(200, settings);
      patches.push(JSON.parse(body));
      const parsed = SettingsPatchSchema.safeParse(JSON.parse(body));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const detail = `body.${issue.path.join(".")}: ${issue.message}`;
        return send(
          400,
          { title: "Request failed validation", detail, code: "validation_failed" },
          "application/problem+json",
        );
      }
      settings = applySettingsPatch(settings, parsed.data);
      return send(200, settings);
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, patches };
}

async function runCli(argv: readonly string[], io: Io): Promise<number> {
  try {
    const line = parseCommandLine(argv, COMMANDS);
    if (!line.command) throw new Error(`no command in ${argv.join(" ")}`);
    return (await line.command.run(makeContext(io, line.values, line.positionals))) ?? 0;
  } catch (err) {
    const e = toCliError(err);
    io.stderr(`${formatError(e)}\n`);
    return e.exitCode;
  }
}

async function cli(url: string, ...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli([...argv, "--url", url, "--token", "t", "--product", "shop"], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
    env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/config.json" },
    now: () => 1_700_000_060_000,
  });
  return { code, stdout, stderr };
}

describe("parseAssignments", () => {
  it("builds a nested patch, reading values as JSON where they parse", () => {
    expect(
      parseAssignments(["preemption=true", "weights.load=2", "retry.baseSeconds=10", "retry.jitter=0.2", "x=abc"]),
    ).toEqual({ preemption: true, weights: { load: 2 }, retry: { baseSeconds: 10, jitter: 0.2 }, x: "abc" });
  });

  it.each([
    ["preemption"],
    ["=1"],
    ["a.b.c=1"],
    ["weights..load=1"],
    ["leaseTtlSeconds=1", "leaseTtlSeconds=2"],
  ])("refuses %s as a usage error", (...words) => {
    expect(() => parseAssignments(words)).toThrow(expect.objectContaining({ code: "usage", exitCode: 2 }));
  });
});

describe("gigafactory settings", () => {
  it("get prints every setting readably, or the record under --json", async () => {
    const { url } = await coordinator();
    const text = await cli(url, "settings", "get");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^preemption\s+off$/m);
    expect(text.stdout).toMatch(/^leaseTtlSeconds\s+60 s/m);
    expect(text.stdout).toMatch(/^retry\s+base 5 s · max 600 s · jitter 0\.5$/m);
    expect(text.stdout).toMatch(/^weights\s+capabilityFit 1 · affinity 0\.5 · load 1/m);
    const json = await cli(url, "settings", "--json");
    expect(JSON.parse(json.stdout)).toEqual(DEFAULT_SETTINGS);
  });

  it("set sends one patch and names what changed", async () => {
    const { url, patches } = await coordinator();
    const r = await cli(url, "settings", "set", "preemption=true", "weights.load=2", "leaseTtlSeconds=120");
    expect(r.code).toBe(0);
    expect(patches).toEqual([{ preemption: true, weights: { load: 2 }, leaseTtlSeconds: 120 }]);
    expect(r.stdout).toContain("✔ Settings saved: leaseTtlSeconds, preemption, weights.load changed");
    expect(r.stdout).toMatch(/^preemption\s+on/m);
  });

  it("reports a refused value as one ✘ ERROR line with how to fix it, exit 1", async () => {
    const { url } = await coordinator();
    const r = await cli(url, "settings", "set", "leaseTtlSeconds=1");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^✘ ERROR validation_failed: body\.leaseTtlSeconds: .+ \/ fix the value named above/);
  });
});
