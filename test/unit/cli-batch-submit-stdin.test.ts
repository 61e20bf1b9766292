// `gigafactory batch submit -` over a real local socket reads standard input in every format a named FILE may hold: a
// JSON manifest ({manifest, bodyMd} or the manifest object) when it starts with `{`, else markdown, or as --format
// says — and says on stderr which it read. It sent every JSON document as `{markdown}`, refused item by item. JSON
// that does not parse is refused before anything is sent, --format without `-` is a usage error, and no standard
// input to read points at `batch submit --help` (it named `submit --help`).
import { describe, expect, it } from "vitest";
import { captureCli, connection, runCli, stubCoordinator } from "../support/cli-harness.ts";

const ACCEPTED = { batchId: "b-1", accepted: 1, jobs: 1, idempotencyKeys: ["k"], items: [], rejected: [] };

async function coordinator() {
  return stubCoordinator((_req, reply) => reply.json(202, ACCEPTED));
}

/** Runs the CLI with `input` on standard input. */
async function withStdin(argv: string[], input: string) {
  let [stdout, stderr] = ["", ""];
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
    stdin: async function* () {
      yield new TextEncoder().encode(input);
    },
  });
  return { code, stdout, stderr };
}

const JSON_ITEM = { manifest: { title: "Gamma", idempotencyKey: "k-c" }, bodyMd: "Do it." };

describe("gigafactory batch submit -", () => {
  it("reads a JSON manifest from standard input when it starts with `{`, and says so", async () => {
    const stub = await coordinator();
    const r = await withStdin(
      ["batch", "submit", "-", ...connection(stub.url, "shop")],
      ` ${JSON.stringify(JSON_ITEM)}`,
    );
    expect(r.code).toBe(0);
    expect(stub.bodies[0]).toEqual({ items: [JSON_ITEM] });
    expect(r.stderr).toMatch(
      /^standard input: read as a JSON manifest \(\{manifest, bodyMd\} .+; it starts with `\{`\)$/m,
    );
    // The manifest object itself, as a .json file may hold it.
    const bare = await withStdin(["batch", "submit", "-", ...connection(stub.url, "shop")], '{"title": "Delta"}');
    expect(bare.code).toBe(0);
    expect(stub.bodies[1]).toEqual({ items: [{ manifest: { title: "Delta" } }] });
  });

  it("reads markdown otherwise, and as --format says whatever it starts with", async () => {
    const stub = await coordinator();
    const md = await withStdin(["batch", "submit", "-", ...connection(stub.url, "shop")], "---\ntitle: A\n---\n");
    expect(md.code).toBe(0);
    expect(stub.bodies[0]).toEqual({ items: [{ markdown: "---\ntitle: A\n---\n" }] });
    expect(md.stderr).toMatch(
      /^standard input: read as a markdown manifest \(17 bytes; it does not start with `\{`\)$/m,
    );
    const told = await withStdin(
      ["batch", "submit", "-", "--format", "md", ...connection(stub.url, "shop")],
      "{not json}\n",
    );
    expect(told.code).toBe(0);
    expect(stub.bodies[1]).toEqual({ items: [{ markdown: "{not json}\n" }] });
    expect(told.stderr).toContain("standard input: read as a markdown manifest (11 bytes; as --format says)");
  });

  it("refuses standard input that is not JSON before sending anything, naming --format md", async () => {
    const stub = await coordinator();
    const r = await withStdin(["batch", "submit", "-", ...connection(stub.url, "shop")], "{title: A}");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^✘ ERROR invalid_json: -: not JSON .+ or --format md to send it as markdown/m);
    const told = await withStdin(
      ["batch", "submit", "-", "--format", "json", ...connection(stub.url, "shop")],
      "# A\n",
    );
    expect(told.code).toBe(2);
    expect(told.stderr).toMatch(/^✘ ERROR invalid_json: /m);
    expect(stub.lines).toEqual([]);
  });

  it("with no standard input to read, points at its own help, not submit's", async () => {
    const stub = await coordinator();
    const r = await captureCli(["batch", "submit", "-", ...connection(stub.url, "shop")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^✘ ERROR file_unreadable: -: no standard input to read; nothing was sent \/ see `gigafactory batch submit --help`, then send the batch again$/m,
    );
    expect(stub.lines).toEqual([]);
  });

  it("refuses --format without `-`, and a --format it does not know", async () => {
    const stub = await coordinator();
    const r = await withStdin(["batch", "submit", "a.md", "--format", "json", ...connection(stub.url, "shop")], "");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^✘ ERROR usage: --format says how `-` \(standard input\) is read/m);
    const bad = await withStdin(["batch", "submit", "-", "--format", "yaml", ...connection(stub.url, "shop")], "");
    expect(bad.code).toBe(2);
    expect(stub.lines).toEqual([]);
  });
});
