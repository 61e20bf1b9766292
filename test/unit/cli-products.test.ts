// `gigafactory products` and `products create ID` over a real local socket: admin calls above any product (no --product needed), idempotent create, --json documents, and a refused token reported as one ✘ ERROR line.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/cli/args.ts";
import { type Io, makeContext } from "../../src/cli/context.ts";
import { formatError, toCliError } from "../../src/cli/errors.ts";
import { COMMANDS } from "../../src/cli/registry.ts";

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A stand-in coordinator that knows the admin token `adm` and keeps products in memory. */
async function coordinator(): Promise<{ url: string; seen: string[] }> {
  const products = new Map<string, number>();
  const seen: string[] = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      seen.push(`${req.method} ${req.url}`);
      const send = (status: number, doc: unknown, type = "application/json") => {
        res.writeHead(status, { "content-type": type });
        res.end(JSON.stringify(doc));
      };
      if (req.headers.authorization !== "Bearer adm") {
        return send(
          403,
          { title: "Not allowed", detail: "this needs the admin token", code: "forbidden" },
          "application/problem+json",
        );
      }
      if (req.method === "GET")
        return send(200, { products: [...products].map(([id, createdAt]) => ({ id, createdAt })) });
      const { id } = JSON.parse(body) as { id: string };
      const existed = products.has(id);
      if (!existed) products.set(id, 1_700_000_000_000);
      return send(existed ? 200 : 201, { id, createdAt: products.get(id) });
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** What cli/main's runCli does (main.ts itself runs on import, so it is not imported here). */
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

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
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

describe("gigafactory products", () => {
  it("creates a product with the admin token and no --product, idempotently, and lists it", async () => {
    const { url, seen } = await coordinator();
    const first = await cli("products", "create", "shop", "--url", url, "--token", "adm");
    expect(first).toMatchObject({ code: 0, stdout: "✔ created product shop\n" });
    const again = await cli("products", "create", "shop", "--url", url, "--token", "adm", "--json");
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ id: "shop", createdAt: 1_700_000_000_000, created: false });
    const list = await cli("products", "--url", url, "--token", "adm", "--json");
    expect(JSON.parse(list.stdout)).toEqual({ products: [{ id: "shop", createdAt: 1_700_000_000_000 }] });
    expect(seen).toEqual(["POST /api/v1/products", "POST /api/v1/products", "GET /api/v1/products"]);
  });

  it("reports a refused token as one ✘ ERROR line and exit 1", async () => {
    const { url } = await coordinator();
    const r = await cli("products", "create", "shop", "--url", url, "--token", `gf_shop_${"A".repeat(43)}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✘ ERROR forbidden: /);
  });
});
