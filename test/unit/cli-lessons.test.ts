// `gigafactory lessons list|add|edit|archive` over a real local socket: add sends the text and scope (repeated --cap
// become capabilities), edit sends only what changes (--no-engine → null), archive sends archived: true, list passes
// its filters and prints a table (or the API's document under --json), an edit with nothing to change is a usage
// error (exit 2), and an API refusal prints `✘ ERROR code: …` with a non-zero exit.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/cli/args.ts";
import { type Io, makeContext } from "../../src/cli/context.ts";
import { formatError, toCliError } from "../../src/cli/errors.ts";
import { COMMANDS } from "../../src/cli/registry.ts";

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

const LESSON = {
  id: "les_0000000001abc",
  text: "Run npm ci first",
  source: "operator",
  capabilities: ["lang:ts"],
  engine: "claude",
  count: 1,
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_000,
  createdBy: "operator:alice",
};

/** A stand-in coordinator for the lessons routes, recording each request line and body. */
async function coordinator(): Promise<{ url: string; seen: Array<{ line: string; body: unknown }> }> {
  const seen: Array<{ line: string; body: unknown }> = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      const parsed = body ? (JSON.parse(body) as Record<string, unknown>) : undefined;
      seen.push({ line: `${req.method} ${req.url}`, body: parsed });
      if (parsed?.text === "bad") {
        res.writeHead(400, { "content-type": "application/problem+json" });
        return res.end(
          JSON.stringify({
            type: "about:blank",
            title: "Bad Request",
            status: 400,
            detail: "text: too long",
            code: "validation_failed",
          }),
        );
      }
      res.writeHead(req.method === "POST" ? 201 : 200, { "content-type": "application/json" });
      if (req.method === "GET") return res.end(JSON.stringify({ items: [LESSON] }));
      return res.end(
        JSON.stringify({ ...LESSON, ...parsed, engine: parsed?.engine === null ? undefined : LESSON.engine }),
      );
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
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
  const code = await runCli([...argv, "--url", url, "--token", "t", "--product", "p"], {
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

describe("gigafactory lessons", () => {
  it("adds a scoped lesson and prints it", async () => {
    const { url, seen } = await coordinator();
    const r = await cli(
      url,
      "lessons",
      "add",
      "Run npm ci first",
      "--cap",
      "lang:ts",
      "--cap",
      "os:linux",
      "--engine",
      "claude",
    );
    expect(r.code).toBe(0);
    expect(seen[0]).toEqual({
      line: "POST /api/v1/products/p/lessons",
      body: { text: "Run npm ci first", capabilities: ["lang:ts", "os:linux"], engine: "claude" },
    });
    expect(r.stdout).toContain("✔ added — les_0000000001abc (operator, caps lang:ts+os:linux, engine claude)");
  });

  it("edits only what changes, clears a scope with --no-engine, and archives", async () => {
    const { url, seen } = await coordinator();
    expect((await cli(url, "lessons", "edit", "les_0000000001abc", "--text", "new", "--no-engine")).code).toBe(0);
    expect(seen[0]).toEqual({
      line: "PATCH /api/v1/products/p/lessons/les_0000000001abc",
      body: { text: "new", engine: null },
    });
    const archived = await cli(url, "lessons", "archive", "les_0000000001abc", "--json");
    expect(seen[1]?.body).toEqual({ archived: true });
    expect(JSON.parse(archived.stdout)).toMatchObject({ id: "les_0000000001abc", archived: true });
  });

  it("lists with filters, as a table or as the API's document", async () => {
    const { url, seen } = await coordinator();
    const table = await cli(url, "lessons", "list", "--source", "operator", "--q", "npm");
    expect(seen[0]?.line).toBe("GET /api/v1/products/p/lessons?source=operator&q=npm&limit=200");
    expect(table.stdout).toMatch(/ID\s+SOURCE\s+SCOPE/);
    expect(table.stdout).toContain("Run npm ci first");
    const json = await cli(url, "lessons", "list", "--json");
    expect(JSON.parse(json.stdout)).toEqual({ items: [LESSON] });
  });

  it("an edit with nothing to change is a usage error; an API refusal is ✘ ERROR with its code", async () => {
    const { url, seen } = await coordinator();
    const empty = await cli(url, "lessons", "edit", "les_0000000001abc");
    expect(empty.code).toBe(2);
    expect(seen).toHaveLength(0);
    const refused = await cli(url, "lessons", "add", "bad");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^✘ ERROR validation_failed: /);
  });
});
