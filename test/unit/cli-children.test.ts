// `gigafactory children ID FILE.json` over a real local socket: sends the file's children list (the API body or the
// bare list) with an Idempotency-Key derived from the file's bytes — the same file gives the same key, so running the
// command again after a lost answer replays instead of making a second set — or the one --key names; prints one row
// per child marked created or existing and a count line (one child in the singular), the API's document under
// --json, and a bad file (not JSON, no list, not UTF-8: named by line, never sent as U+FFFD) as one `✘ ERROR` line.
// A --key the server would refuse is refused before sending, by the rule it breaks (its limit, or ", ").
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const job = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: `t ${id}`,
  stage: "queued",
  deps: [],
  ...extra,
});

/** A stand-in that answers 201 the first time a key is seen and 200 replayed after; records each key. */
async function coordinator() {
  const keys: string[] = [];
  const stub = await stubCoordinator((req, reply) => {
    const key = String(req.headers["idempotency-key"]);
    const again = keys.includes(key);
    keys.push(key);
    const made = {
      parent: job("p", { stage: "blocked", kind: "composite" }),
      children: [job("c0"), job("c1", { stage: "blocked", deps: ["c0"] })],
    };
    if (again) reply.json(200, made, { "idempotent-replayed": "true" });
    else reply.json(201, made);
  });
  return { stub, keys };
}

function file(text: string): string {
  const path = join(testTempDir("gf-children-"), "children.json");
  writeFileSync(path, text);
  return path;
}

const cli = (url: string, ...argv: string[]) => captureCli([...argv, ...connection(url, "shop")]);
const BODY = { children: [{ title: "c0" }, { title: "c1", deps: ["#0"] }] };

describe("gigafactory children", () => {
  it("posts the list with a key from the file's bytes; the same file again replays and says so", async () => {
    const { stub, keys } = await coordinator();
    const path = file(JSON.stringify(BODY));
    const first = await cli(stub.url, "children", "p", path);
    expect(first.code).toBe(0);
    expect(stub.lines).toEqual(["POST /api/v1/products/shop/jobs/p/children"]);
    expect(stub.bodies).toEqual([BODY]);
    expect(first.stdout).toMatch(/^c1\s+t c1\s+blocked\s+c0\s+created$/m);
    expect(first.stderr).toBe("p is blocked; 2 children added\n");
    const again = await cli(stub.url, "children", "p", file(JSON.stringify(BODY)));
    expect(keys[1]).toBe(keys[0]);
    expect(keys[0]).toMatch(/^file:[0-9a-f]{32}$/);
    expect(again.stdout).toMatch(/^c0\s+t c0\s+queued\s+—\s+existing$/m);
    expect(again.stderr).toContain("made by this same request before: nothing new");
  });

  it("counts one child in the singular", async () => {
    const made = { parent: job("p", { stage: "blocked", kind: "composite" }), children: [job("c0")] };
    const stub = await stubCoordinator((_req, reply) => reply.json(201, made));
    const r = await cli(stub.url, "children", "p", file(JSON.stringify({ children: [{ title: "c0" }] })));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("p is blocked; 1 child added\n"); // not "1 children added"
  });

  it("takes the bare list and --key; emits the API's document under --json", async () => {
    const { stub, keys } = await coordinator();
    const r = await cli(stub.url, "children", "p", file(JSON.stringify(BODY.children)), "--key", "split-7", "--json");
    expect(r.code).toBe(0);
    expect(keys).toEqual(["split-7"]);
    expect(stub.bodies).toEqual([BODY]);
    expect(JSON.parse(r.stdout).children.map((c: { id: string }) => c.id)).toEqual(["c0", "c1"]);
    expect(r.stderr).toBe("");
  });

  it("a file that is not JSON, or holds no list, is one error line, exit 2, and no request", async () => {
    const { stub } = await coordinator();
    const bad = await cli(stub.url, "children", "p", file("title: x"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^✘ ERROR invalid_json: .*not JSON/);
    const empty = await cli(stub.url, "children", "p", file('{"kids": []}'));
    expect(empty.stderr).toMatch(/^✘ ERROR invalid_json: .*no children list/);
    expect(empty.code).toBe(2);
    const missing = await cli(stub.url, "children", "p", "/nonexistent/children.json");
    expect(missing.stderr).toMatch(/^✘ ERROR file_unreadable: /);
    expect(missing.code).toBe(2);
    // Windows-1252 "café" on line 3: decoded leniently it went up as "caf\uFFFD"; it is named and sent nowhere.
    const latin1 = file("x");
    writeFileSync(latin1, Buffer.from('{"children": [\n\n{"title": "caf\xe9"}]}', "latin1"));
    const notUtf8 = await cli(stub.url, "children", "p", latin1);
    expect(notUtf8.code).toBe(2);
    expect(notUtf8.stderr).toMatch(
      new RegExp(`^✘ ERROR file_not_utf8: ${latin1}: is not UTF-8 text \\(line 3\\) / save it as UTF-8 `),
    );
    expect(stub.lines).toEqual([]);
  });

  // The server's limit is 128 bytes of UTF-8 (shared/api DerivedKeyHeader), and a header carries only Latin-1: a key
  // counted in characters passed "é"×100 (200 bytes: a 400 after the file was read and sent) and "漢" (no header
  // can carry it: the HTTP client threw, an error that named neither the key nor the limit).
  it("a --key past 128 bytes of UTF-8, or one no header can carry, is a usage error and no request", async () => {
    const { stub } = await coordinator();
    const path = file(JSON.stringify(BODY));
    for (const key of ["é".repeat(100), "漢", "x".repeat(129)]) {
      const r = await cli(stub.url, "children", "p", path, "--key", key);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^✘ ERROR usage: --key must be/);
    }
    // Said by the rule it breaks: "a, b" is printable ASCII within 128 bytes, and was told it was not.
    const joined = await cli(stub.url, "children", "p", path, "--key", "a, b");
    expect(joined.stderr).toMatch(/^✘ ERROR usage: --key must be one key, without ", ": two Idempotency-Key headers/);
    expect((await cli(stub.url, "children", "p", path, "--key", "x".repeat(129))).stderr).toMatch(
      /^✘ ERROR usage: --key must be at most 128 bytes of UTF-8 \//,
    );
    expect(stub.lines).toEqual([]);
    const ok = await cli(stub.url, "children", "p", path, "--key", "k".repeat(128));
    expect(ok.code).toBe(0);
  });
});
