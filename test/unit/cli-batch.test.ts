// `gigafactory batch ID` over a real local socket: prints the batch's one-line summary (created · queued · rejected,
// done or not) and one row per item (job id once created, the refusal code if rejected), the API's document under
// --json, and an unknown batch as one `✘ ERROR` line with exit 1.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/cli/args.ts";
import { type Io, makeContext } from "../../src/cli/context.ts";
import { formatError, toCliError } from "../../src/cli/errors.ts";
import { COMMANDS } from "../../src/cli/registry.ts";
import type { BatchView } from "../../src/shared/api-batches.ts";

const BATCH: BatchView = {
  id: "b-1",
  createdAt: 1_700_000_000_000,
  total: 3,
  created: 1,
  queued: 1,
  rejected: 1,
  items: [
    { index: 0, key: "content:aa", status: "created", jobId: "job_1" },
    { index: 1, status: "rejected", code: "invalid_manifest" },
    { index: 2, key: "content:cc", status: "queued" },
  ],
  done: false,
};

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A stand-in coordinator that knows batch b-1 and nothing else (404 problem+json). */
async function coordinator(): Promise<string> {
  server = createServer((req, res) => {
    if (req.url === "/api/v1/products/shop/batches/b-1") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(BATCH));
    }
    res.writeHead(404, { "content-type": "application/problem+json" });
    res.end(JSON.stringify({ title: "Not Found", detail: "batch nope not found", code: "not_found" }));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
    now: () => 1_700_000_060_000,
  };
  let code: number;
  try {
    const line = parseCommandLine([...argv, "--url", url, "--token", "t", "--product", "shop"], COMMANDS);
    if (!line.command) throw new Error(`no command in ${argv.join(" ")}`);
    code = (await line.command.run(makeContext(io, line.values, line.positionals))) ?? 0;
  } catch (err) {
    const e = toCliError(err);
    io.stderr(`${formatError(e)}\n`);
    code = e.exitCode;
  }
  return { code, stdout, stderr };
}

describe("gigafactory batch", () => {
  it("prints the summary and one row per item", async () => {
    const r = await cli(await coordinator(), "batch", "b-1");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^batch b-1: 3 items — 1 created · 1 queued · 1 rejected \(jobs still on their way\)$/m);
    expect(r.stdout).toMatch(/^\s*0\s+created\s+job_1\s+content:aa$/m);
    expect(r.stdout).toMatch(/^\s*1\s+rejected\s+invalid_manifest\s+—$/m);
    expect(r.stdout).toMatch(/^\s*2\s+queued\s+—\s+content:cc$/m);
  });

  it("emits the API's document under --json, and an unknown batch is one error line", async () => {
    const url = await coordinator();
    expect(JSON.parse((await cli(url, "batch", "b-1", "--json")).stdout)).toEqual(BATCH);
    const missing = await cli(url, "batch", "nope");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^✘ ERROR not_found: /);
  });
});
