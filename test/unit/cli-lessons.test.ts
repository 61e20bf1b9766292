// `gigafactory lessons list|add|edit|archive|restore` over a real local socket: add sends the text and scope (repeated
// --cap become capabilities), edit sends only what changes (--no-engine → null), archive sends archived: true and
// restore archived: false (each saying when the lesson was so already), list passes
// its filters and prints a table (or the API's document under --json, with its nextCursor) and says when more pages
// follow, an edit with nothing to change or an id that is not a lesson id (`les_…`, checked before it goes in a path) is a usage error (exit 2) that sends nothing, and an
// API refusal prints `✘ ERROR code: …` with a non-zero exit.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

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
  const { url, seen } = await stubCoordinator((req, reply) => {
    const parsed = req.body as Record<string, unknown> | undefined;
    if (parsed?.text === "bad")
      return reply.problem(400, {
        type: "about:blank",
        title: "Bad Request",
        status: 400,
        detail: "text: too long",
        code: "validation_failed",
      });
    const status = req.method === "POST" ? 201 : 200;
    if (req.method === "GET") return reply.json(status, { items: [LESSON] });
    return reply.json(status, { ...LESSON, ...parsed, engine: parsed?.engine === null ? undefined : LESSON.engine });
  });
  return { url, seen };
}

const cli = (url: string, ...argv: string[]) => captureCli([...argv, ...connection(url, "p")]);

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

  it("restores an archived lesson with archived: false, and says when there was nothing to restore", async () => {
    let changed = true;
    const { url, seen } = await stubCoordinator((req, reply) =>
      reply.json(200, { ...LESSON, ...(req.body as object), updatedAt: 1_700_000_060_000, changed }),
    );
    const restored = await cli(url, "lessons", "restore", "les_0000000001abc");
    expect(restored.code).toBe(0);
    expect(seen[0]).toEqual({
      line: "PATCH /api/v1/products/p/lessons/les_0000000001abc",
      body: { archived: false },
    });
    expect(restored.stdout).toMatch(/^✔ restored — les_0000000001abc \(operator, caps lang:ts, engine claude\)/);
    changed = false;
    const again = await cli(url, "lessons", "restore", "les_0000000001abc");
    expect(again.stdout).toMatch(/^not archived \(nothing to restore\) — les_0000000001abc/);
    const bad = await cli(url, "lessons", "restore", "LES_1");
    expect(bad.code).toBe(2);
    expect(seen).toHaveLength(2);
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

  it("a list that stops before the last page says so, and --json keeps the cursor", async () => {
    const cursor = "1700000000000:les_0000000001abc";
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, { items: [LESSON], nextCursor: cursor }));
    const table = await cli(url, "lessons", "list");
    expect(table.code).toBe(0);
    expect(table.stderr).toContain("… more lessons: pass --all");
    const json = await cli(url, "lessons", "list", "--json");
    expect(JSON.parse(json.stdout)).toEqual({ items: [LESSON], nextCursor: cursor });
  });

  it("an edit with nothing to change or a malformed id is a usage error; an API refusal is ✘ ERROR with its code", async () => {
    const { url, seen } = await coordinator();
    const empty = await cli(url, "lessons", "edit", "les_0000000001abc");
    expect(empty.code).toBe(2);
    expect(seen).toHaveLength(0);
    for (const [verb, id] of [
      ["archive", "../jobs/job_1"],
      ["edit", "les_1/../../x"],
      ["archive", "LES_1"],
    ] as const) {
      const bad = await cli(url, "lessons", verb, id, ...(verb === "edit" ? ["--text", "x"] : []));
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^✘ ERROR usage: ".*" is not a lesson id \(les_…\)/);
    }
    expect(seen).toHaveLength(0);
    const refused = await cli(url, "lessons", "add", "bad");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^✘ ERROR validation_failed: /);
  });
});
