// What the CLI reads from a refusal's code — a budget not set, a token refused for its shape, a product not yet made,
// a coordinator without whoami, a field said as its flag, a manifest key's likely spelling, a setting's, a wait of the
// body's `retryAfterSeconds` — it reads from the coordinator's own problem+json only: another server's JSON naming the
// same code (a wrong URL's `{"code": "not_found"}` 404, a gateway's 401 `unauthorized`, a proxy's 503 with a wait of
// its own) is told as another server's answer (exit 1, "check --url …"), where it said "No budget is set" (exit 0),
// `token_malformed` (exit 2), "Product shop does not exist yet" (exit 0, the URL saved), "this coordinator has no
// whoami", `--budget-usd`, "did you mean …" and "try again in 86000 s". A gateway's 429 naming a code of its own is a
// rate limit in front of the coordinator, as one naming none was.
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withDefaults } from "../../src/core/settings.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const TOKEN = `gf_shop_${"E".repeat(43)}`;
const ANOTHER = "the answer is not a Gigafactory problem, so the coordinator did not write it";

/** A stand-in answering 200 `route(line)` when it gives one, else `status` with `doc` as plain application/json. */
async function foreign(status: number, doc: unknown, route: (line: string) => unknown = () => undefined) {
  return stubCoordinator((req, reply) => {
    const own = route(req.line);
    return own === undefined ? reply.json(status, doc) : reply.json(200, own);
  });
}

/** `argv` against `url` as product shop, under --json: the exit and the error document. */
async function run(url: string, argv: string[], token = TOKEN) {
  const r = await captureCli([...argv, ...connection(url, "shop", token), "--json"]);
  const doc = r.stdout ? (JSON.parse(r.stdout) as { error?: { code: string; message: string; fix: string } }) : {};
  return { code: r.code, error: doc.error, stdout: r.stdout, stderr: r.stderr };
}

describe("another server's JSON naming the coordinator's codes", () => {
  it("a 404 naming not_found and a budget's `what` is no budget unset", async () => {
    const doc = { code: "not_found", detail: "no such page", what: "budget of product" };
    const { url } = await foreign(404, doc);
    const r = await run(url, ["budget"]);
    expect(r.code).toBe(1);
    expect(r.error?.fix).toMatch(/^check --url \/ GIGAFACTORY_URL/);
  });

  it("a 401 naming unauthorized says nothing of a malformed token's shape", async () => {
    const { url } = await foreign(401, { code: "unauthorized", detail: "sign in at the gateway" });
    const r = await run(url, ["jobs"], "gf_shop_abc");
    expect([r.code, r.error?.code]).toEqual([1, "unauthorized"]);
    expect(r.error?.fix).toContain(ANOTHER);
  });

  it("login: a 404 naming not_found is no product yet to make, and saves nothing", async () => {
    const { url } = await foreign(404, { code: "not_found", detail: "no such page" }, (line) =>
      line === "GET /api/v1/products" ? { products: [] } : undefined,
    );
    const file = path.join(testTempDir("gf-foreign-codes-"), "config.json");
    const r = await captureCli(["login", "--url", url, "--token", TOKEN], { env: { GIGAFACTORY_CONFIG: file } });
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toMatch(/^✘ ERROR not_found: no such page \/ check --url/);
    expect(existsSync(file)).toBe(false);
  });

  it("whoami: a 404 naming no route is another server's, not a coordinator without whoami", async () => {
    const { url } = await foreign(404, { code: "not_found", detail: "no route for GET /api/v1/products/shop/whoami" });
    const r = await run(url, ["whoami"]);
    expect([r.code, r.error?.code]).toEqual([1, "not_found"]);
    expect(r.error?.fix).toMatch(/^check --url/);
  });

  it("a 400 naming validation_failed keeps its field's words: they are not our flags'", async () => {
    const { url } = await foreign(400, { code: "validation_failed", detail: "body.ceilingUsd: too big" });
    const r = await run(url, ["budget", "set", "day", "5"]);
    expect(r.error?.message).toBe("body.ceilingUsd: too big");
    expect(r.error?.fix).toContain(ANOTHER);
  });

  it("a 422 naming invalid_manifest gets no key's spelling", async () => {
    const file = path.join(testTempDir("gf-foreign-codes-"), "a.md");
    writeFileSync(file, "---\ntitle: x\n---\nbody\n");
    const detail = "line 2: priorty: unknown key (allowed: title, priority)";
    const { url } = await foreign(422, { code: "invalid_manifest", detail });
    const r = await run(url, ["submit", file]);
    expect(r.code).toBe(1);
    const [one] = JSON.parse(r.stdout) as Array<{ error: { fix: string } }>;
    expect(one?.error.fix).toContain(ANOTHER);
  });

  it("a 400 naming validation_failed gets no setting's spelling", async () => {
    const { url } = await foreign(
      400,
      { code: "validation_failed", detail: 'body: Unrecognized key: "preemptoin"' },
      (line) => (line === "GET /api/v1/products/shop/settings" ? withDefaults(undefined) : undefined),
    );
    const r = await run(url, ["settings", "set", "preemptoin=true"]);
    expect(r.error?.fix).toContain(ANOTHER);
  });

  it("a 503's own retryAfterSeconds is not a wait the coordinator named", async () => {
    const { url } = await foreign(503, { code: "unavailable", detail: "busy", retryAfterSeconds: 86_000 });
    const r = await run(url, ["jobs"]);
    expect(r.stdout).not.toContain("retryAfterSeconds");
    expect(r.error?.fix).not.toContain("86000");
  });

  it("a 429 naming a code of its own is a rate limit in front of the coordinator", async () => {
    const { url } = await foreign(429, { code: "rate_limited", message: "slow down" });
    const r = await run(url, ["jobs"]);
    expect(r.error?.fix).toMatch(/^a proxy or gateway in front of the coordinator limits the rate of requests/);
  });
});
