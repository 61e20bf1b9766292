// The CLI never prints the token it sends, whatever its shape. A coordinator (or a proxy) on a real local socket echoes
// the request's Authorization header back — in a 4xx problem's detail (as sent, inside a JSON header dump, URL- and
// form-encoded), in a field of a 2xx answer the CLI prints (a ✔ line, a table cell cut short), and in a non-JSON
// error page, whose text the CLI shows in part (shared/foreign-answer) with the token hidden before its markup goes. An admin token is any string the operator chose, so the
// shape-based redaction let it through whole (or its first characters, where a cut fell inside it): none of it may
// reach stdout or stderr, for a token from --token, GIGAFACTORY_TOKEN or the saved config. Under --json the answer
// stays JSON, and byte-exact when it holds no token.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, type StubReply, type StubRequest, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

/**
 * An admin token of no known shape: a backtick, quotes, `/ + & = %` and a Latin-1 letter all change when encoded. No
 * blank: the coordinator reads a token as one run of non-blank characters, and the CLI refuses one with a blank before
 * sending it (cli/token-readable).
 */
const TOKEN = 'Zq7Ux`admin/"key"+&=%éKw4Rt:tail-9Xv2Lp';
/** Pieces of the token from its start, middle and end: none of them may be printed, in any form. */
const PIECES = ["Zq7Ux", "admin/", "admin%2F", "Kw4Rt", "9Xv2Lp"];
const leaked = (text: string): string[] => PIECES.filter((p) => text.includes(p));

type Handler = (req: StubRequest, reply: StubReply) => void;

/** The echo a server makes of the request's header: as sent, in a JSON dump of the headers, URL- and form-encoded. */
function echoes(req: StubRequest): string {
  const auth = req.headers.authorization ?? "";
  const secret = auth.replace(/^Bearer /, "");
  return [
    `you sent "${auth}"`,
    `headers ${JSON.stringify(req.headers)}`,
    `retry at /login?next=${encodeURIComponent(secret)}`,
    `form ${new URLSearchParams({ t: secret }).toString()}`,
    `lower ${encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())}`,
  ].join("; ");
}

const PROBLEM: Handler = (req, reply) =>
  reply.problem(401, { type: "about:blank", title: "Unauthorized", code: "unauthorized", detail: echoes(req) });
/**
 * A proxy's page: the token starts at character 71 of its text, so the 100 characters the CLI shows of it would end
 * inside the token; a `<` inside an echoed token would part it where the markup is taken out.
 */
const PROXY_PAGE: Handler = (req, reply) =>
  reply.text(502, `${"<p>bad gateway</p>".padEnd(70, ".")}${req.headers.authorization}<b>x</b> and more`, "text/html");
const REVOKED: Handler = (req, reply) => reply.json(200, { id: "tok_1", role: "viewer", name: echoes(req) });
const LISTED: Handler = (req, reply) =>
  reply.json(200, {
    tokens: [{ id: "tok_1", role: "viewer", name: `by ${req.headers.authorization}`, createdAt: 0 }],
  });

const CASES: Array<{ what: string; argv: string[]; handler: Handler; code: number }> = [
  { what: "a 4xx problem's detail", argv: ["tokens"], handler: PROBLEM, code: 1 },
  { what: "a non-JSON error page cut inside the token", argv: ["tokens"], handler: PROXY_PAGE, code: 1 },
  { what: "a 2xx answer's field on a ✔ line", argv: ["tokens", "revoke", "tok_1"], handler: REVOKED, code: 0 },
  { what: "a 2xx answer's field cut in a table", argv: ["tokens"], handler: LISTED, code: 0 },
];

/** Where the token came from: the flag, the environment, or the saved config (a file removed after the test). */
const SOURCES: Array<{ source: string; setup: () => { argv: string[]; env: Record<string, string> } }> = [
  { source: "--token", setup: () => ({ argv: ["--token", TOKEN], env: {} }) },
  { source: "GIGAFACTORY_TOKEN", setup: () => ({ argv: [], env: { GIGAFACTORY_TOKEN: TOKEN } }) },
  {
    source: "the saved config",
    setup: () => {
      const file = path.join(testTempDir("gf-cli-own-token-"), "config.json");
      writeFileSync(file, JSON.stringify({ token: TOKEN }), { mode: 0o600 });
      return { argv: [], env: { GIGAFACTORY_CONFIG: file } };
    },
  },
];

describe("the token the CLI sends, echoed back", () => {
  for (const { source, setup } of SOURCES) {
    it.each(CASES)(`from ${source}: $what is printed without it`, async ({ argv, handler, code }) => {
      const stub = await stubCoordinator(handler);
      const given = setup();
      const line = [...argv, "--url", stub.url, "--product", "p", ...given.argv];
      const human = await captureCli(line, { env: given.env });
      expect(human.code).toBe(code);
      expect(human.stdout + human.stderr).not.toBe("");
      expect(leaked(human.stdout)).toEqual([]);
      expect(leaked(human.stderr)).toEqual([]);
      const json = await captureCli([...line, "--json"], { env: given.env });
      expect(json.code).toBe(code);
      JSON.parse(json.stdout); // still one JSON document
      expect(leaked(json.stdout)).toEqual([]);
      expect(leaked(json.stderr)).toEqual([]);
    });
  }

  it("the error line says where the token was", async () => {
    const stub = await stubCoordinator(PROXY_PAGE);
    const run = await captureCli(["tokens", "--url", stub.url, "--product", "p", "--token", TOKEN]);
    expect(run.stderr).toContain('Bearer … x and more" /');
  });
});

describe("--json output without the token", () => {
  it("is byte-exact", async () => {
    const doc = { tokens: [{ id: "tok_1", role: "viewer", name: 'ci "bot"\n\\', createdAt: 0 }], extra: "é" };
    const stub = await stubCoordinator((_req, reply) => reply.json(200, doc));
    const run = await captureCli(["tokens", "--json", "--url", stub.url, "--product", "p", "--token", TOKEN]);
    expect(run.stdout).toBe(`${JSON.stringify(doc, null, 2)}\n`);
  });

  it("has the token replaced in its strings and keys, and nothing else changed", async () => {
    const doc = { tokens: [{ id: "tok_1", role: "viewer", name: `a\n${TOKEN}`, createdAt: 0 }], [TOKEN]: 1 };
    const stub = await stubCoordinator((_req, reply) => reply.json(200, doc));
    const run = await captureCli(["tokens", "--json", "--url", stub.url, "--product", "p", "--token", TOKEN]);
    const hidden = { tokens: [{ id: "tok_1", role: "viewer", name: "a\n…", createdAt: 0 }], "…": 1 };
    expect(run.stdout).toBe(`${JSON.stringify(hidden, null, 2)}\n`);
  });
});
