// The operator commands (alerts, health, batch, children, enrollment-codes, explain, factory drain|…|rm, the job
// actions, lessons, products, login) read a 2xx JSON answer of another shape — another service's `{"ok": true}`, an
// array, a field of the wrong type — as `✘ ERROR bad_response` naming the field, exit 1, nothing on stdout (under
// --json only the error document). Before, most crashed as `✘ ERROR internal: … / this is a CLI bug`, and the writes
// printed `✔ cancel: job undefined is now undefined` with exit 0. A change to a factory named by NAME is never sent
// when the fleet list it was looked up in is not one, and `login` saves nothing when the coordinator's answer is not
// a queue state (it said "Product shop does not exist yet", exit 0, and saved the wrong URL). A page cursor handed
// out twice ends `lessons list --all` and `alerts` as bad_response (the same page was listed again, up to 25 times).
// A well-formed answer with fields this CLI does not know still shows, and --json prints it whole.
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const ALERT = "al_0123456789ab";

/** Every command of the area with the arguments it needs (the children file is written per test). */
const commands = (kids: string): string[][] => [
  ["alerts"],
  ["alerts", "--state", "resolved"],
  ["alerts", "--ack", ALERT],
  ["health"],
  ["batch", "b-1"],
  ["children", "job_1", kids],
  ["enrollment-codes"],
  ["enrollment-codes", "revoke", "c1"],
  ["explain", "job_1"],
  ["factory", "drain", "fac_1"],
  ["factory", "quarantine", "fac_1"],
  ["factory", "activate", "fac_1"],
  ["factory", "approve", "fac_1"],
  ["factory", "release", "fac_1"],
  ["factory", "revoke", "fac_1"],
  ["factory", "rm", "fac_1"],
  ["factory", "drain", "box-1"], // by name: the fleet list is read first
  ["requeue", "job_1"],
  ["cancel", "job_1"],
  ["ship", "job_1"],
  ["approve", "job_1"],
  ["reject", "job_1"],
  ["lessons", "list"],
  ["lessons", "add", "run the linter"],
  ["lessons", "edit", "les_1", "--text", "x"],
  ["lessons", "archive", "les_1"],
  ["lessons", "restore", "les_1"],
  ["products"],
  ["products", "create", "shop"],
  ["login"],
];

function childrenFile(): string {
  const dir = testTempDir("gf-ops-");
  const file = path.join(dir, "kids.json");
  writeFileSync(file, '{"children": [{"title": "a"}]}');
  return file;
}

/** A config path in a fresh directory, so that a login's save can be seen. */
const freshConfig = () => path.join(testTempDir("gf-ops-cfg-"), "config.json");

describe("an answer that is not what an operator command reads", () => {
  it("is bad_response naming the field, exit 1, for every command, with and without --json", async () => {
    const kids = childrenFile();
    for (const answer of [{ ok: true }, [], { id: 7, jobId: 7, alerts: {}, items: "x", codes: null }]) {
      const { url } = await stubCoordinator((_req, reply) => reply.json(200, answer));
      for (const argv of commands(kids)) {
        const config = freshConfig();
        const env = { GIGAFACTORY_CONFIG: config };
        const r = await captureCli([...argv, ...connection(url, "shop", "gf_shop_x")], { env });
        expect({ argv, answer, code: r.code, stdout: r.stdout }).toEqual({ argv, answer, code: 1, stdout: "" });
        expect(r.stderr).toMatch(/^✘ ERROR bad_response: the coordinator's answer is not .+ \/ check that --url/);
        expect(existsSync(config)).toBe(false);
        const json = await captureCli([...argv, "--json", ...connection(url, "shop", "gf_shop_x")], { env });
        expect({ argv, code: json.code, error: JSON.parse(json.stdout).error.code }).toEqual({
          argv,
          code: 1,
          error: "bad_response",
        });
      }
    }
  });

  it("names the first field of the wrong type", async () => {
    const lesson = { id: "les_1", source: "auto", text: "t", capabilities: [], count: "3", updatedAt: 0 };
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, { items: [lesson] }));
    const r = await captureCli(["lessons", "list", ...connection(url, "shop")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^✘ ERROR bad_response: the coordinator's answer is not a page of lessons \(items\.0\.count: /,
    );
  });
});

describe("a write after a read it could not understand", () => {
  it("is never sent: `factory drain NAME` over a fleet list whose id is not a string", async () => {
    const stub = await stubCoordinator((req, reply) =>
      req.method === "GET"
        ? reply.json(200, { factories: [{ id: 5, name: "box-1", status: "active" }] })
        : reply.json(200, { id: "fac_5", name: "box-1", status: "draining" }),
    );
    const r = await captureCli(["factory", "drain", "box-1", ...connection(stub.url, "shop")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^✘ ERROR bad_response: the coordinator's answer is not a list of factories \(factories\.0\.id: /,
    );
    expect(stub.lines).toEqual(["GET /api/v1/products/shop/factories"]);
  });

  it("is never saved: `login` whose product check answers a products list of another shape", async () => {
    const stub = await stubCoordinator((req, reply) =>
      req.url.endsWith("/queue-state")
        ? reply.problem(404, { title: "Not found", detail: "product shop does not exist", code: "not_found" })
        : reply.json(200, { products: { shop: true } }),
    );
    const config = freshConfig();
    const r = await captureCli(["login", "--url", stub.url, "--token", "adm", "--product", "shop"], {
      env: { GIGAFACTORY_CONFIG: config },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✘ ERROR bad_response: the coordinator's answer is not a list of products \(products: /);
    expect(existsSync(config)).toBe(false);
  });
});

describe("a page cursor handed out twice", () => {
  it("ends `lessons list --all` and `alerts` with bad_response, not the same page listed again and again", async () => {
    const lesson = { id: "les_1", source: "auto", text: "t", capabilities: [], count: 1, updatedAt: 0 };
    const alert = { id: ALERT, state: "open", severity: "info", kind: "k", subject: "s", openedAt: 0, message: "m" };
    for (const [argv, page] of [
      [["lessons", "list", "--all"], { items: [lesson], nextCursor: "c1" }],
      [["alerts", "--state", "open"], { alerts: [alert], nextCursor: "c1" }],
    ] as const) {
      const stub = await stubCoordinator((_req, reply) => reply.json(200, page));
      const r = await captureCli([...argv, ...connection(stub.url, "shop")]);
      expect({ argv, code: r.code, stdout: r.stdout, requests: stub.lines.length }).toEqual({
        argv,
        code: 1,
        stdout: "",
        requests: 2,
      });
      expect(r.stderr).toMatch(/^✘ ERROR bad_response: the coordinator handed out the page cursor "c1" twice/);
    }
  });
});

describe("a well-formed answer with fields this CLI does not know", () => {
  it("still shows, and --json prints it whole", async () => {
    const job = { id: "job_1", stage: "cancelled", fromTheFuture: { x: 1 } };
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, job));
    const human = await captureCli(["cancel", "job_1", ...connection(url, "shop")]);
    expect(human).toMatchObject({ code: 0, stdout: "✔ cancel: job job_1 is now cancelled\n" });
    const json = await captureCli(["cancel", "job_1", "--json", ...connection(url, "shop")]);
    expect(JSON.parse(json.stdout)).toEqual(job);
  });
});
