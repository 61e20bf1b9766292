// `gigafactory whoami` over a real local socket says who the CLI's token is: one `GET …/whoami` (an operation of
// the OpenAPI document), printed as the product, the role with what it may do, the audit log's name, a minted token's
// id and name (a factory: `gpu-1 (f_1)`, by the name the answer gives, as its token may not read the fleet list; the
// id alone from an older coordinator), where the token came from (--token, GIGAFACTORY_TOKEN) and the URL — never the
// token; `--json` prints the answer as it came. A role the CLI does not know (a newer coordinator's) is shown as sent,
// the server's text stays on one line; an answer that is not a whoami is `✘ ERROR bad_response`, a coordinator
// without the route `✘ ERROR unsupported` (not "check --url"), and a refused token the API's problem — each exit 1.
import { describe, expect, it } from "vitest";
import { formatWhoami } from "../../src/cli/commands/whoami.ts";
import { openApiDocument } from "../../src/worker/openapi.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const TOKEN = `gf_shop_${"v".repeat(43)}`;
const VIEWER = { product: "shop", role: "viewer", actor: "viewer:val", tokenId: "tok_1", tokenName: "val" };

/** A stand-in answering `GET …/shop/whoami` with `doc` (or as `answer` says) for TOKEN, 401 for any other. */
async function coordinator(answer: (reply: Parameters<Parameters<typeof stubCoordinator>[0]>[1]) => void) {
  return stubCoordinator((req, reply) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return reply.problem(401, { title: "Unauthorized", detail: "token is not recognised", code: "unauthorized" });
    if (req.method === "GET" && req.url === "/api/v1/products/shop/whoami") return answer(reply);
    return reply.problem(404, {
      title: "Not found",
      detail: `no route for ${req.method} ${req.url}`,
      code: "not_found",
    });
  });
}

describe("gigafactory whoami", () => {
  it("asks GET …/whoami once, a documented operation, and prints who the token is without the token", async () => {
    const stub = await coordinator((reply) => reply.json(200, VIEWER));
    const r = await captureCli(["whoami", ...connection(stub.url, "shop", TOKEN)]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(stub.lines).toEqual(["GET /api/v1/products/shop/whoami"]);
    const doc = openApiDocument() as { paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.paths["/api/v1/products/{productId}/whoami"]?.get?.operationId).toBe("whoami");
    expect(r.stdout.split("\n").filter(Boolean)).toEqual([
      "  product  shop",
      "  role     viewer — read-only: jobs, fleet, history, settings, budget; every write is refused 403",
      "  actor    viewer:val",
      "  token    tok_1 (val)",
      "  from     --token",
      `  url      ${stub.url}`,
    ]);
    expect(r.stdout).not.toContain(TOKEN);
  });

  it("prints the API's answer under --json, and says the token came from GIGAFACTORY_TOKEN", async () => {
    const factory = { product: "shop", role: "factory", actor: "factory:f_1", factoryId: "f_1", extra: 1 };
    const stub = await coordinator((reply) => reply.json(200, factory));
    const json = await captureCli(["whoami", ...connection(stub.url, "shop", TOKEN), "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(factory);
    const env = { GIGAFACTORY_URL: stub.url, GIGAFACTORY_TOKEN: TOKEN, GIGAFACTORY_PRODUCT: "shop" };
    const human = await captureCli(["whoami"], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("  factory  f_1\n");
    expect(human.stdout).toContain("  from     GIGAFACTORY_TOKEN\n");
  });

  it("names a factory's token's factory by the name the answer gives, with its id (no fleet read: it may not)", async () => {
    const factory = { product: "shop", role: "factory", actor: "factory:f_1", factoryId: "f_1", factoryName: "gpu-1" };
    const stub = await coordinator((reply) => reply.json(200, factory));
    const human = await captureCli(["whoami", ...connection(stub.url, "shop", TOKEN)]);
    expect(human.stdout, human.stderr).toContain("  factory  gpu-1 (f_1)\n");
    expect(stub.lines).toEqual(["GET /api/v1/products/shop/whoami"]);
  });

  it("shows a role it does not know as sent, and the server's text on one line", () => {
    const text = formatWhoami(
      { product: "shop", role: "auditor", actor: "auditor:a\nb\u202e", tokenId: "tok_2" },
      "--token",
      "http://gf.test",
    );
    expect(text.split("\n")).toEqual([
      "  product  shop",
      "  role     auditor",
      "  actor    auditor:a b\ufffd",
      "  token    tok_2",
      "  from     --token",
      "  url      http://gf.test",
    ]);
  });

  it("refuses an answer that is not a whoami, a coordinator without the route, and a refused token", async () => {
    const wrong = await coordinator((reply) => reply.json(200, { ok: true }));
    const bad = await captureCli(["whoami", ...connection(wrong.url, "shop", TOKEN)]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^✘ ERROR bad_response: .*a whoami/);

    const old = await coordinator((reply) =>
      reply.problem(404, {
        title: "Not found",
        detail: "no route for GET /api/v1/products/shop/whoami",
        code: "not_found",
      }),
    );
    const older = await captureCli(["whoami", ...connection(old.url, "shop", TOKEN)]);
    expect(older.code).toBe(1);
    expect(older.stderr).toMatch(/^✘ ERROR unsupported: this coordinator has no whoami .* \/ upgrade the coordinator/);

    const refused = await captureCli(["whoami", ...connection(old.url, "shop", `gf_shop_${"x".repeat(43)}`)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^✘ ERROR unauthorized: token is not recognised/);
  });
});
