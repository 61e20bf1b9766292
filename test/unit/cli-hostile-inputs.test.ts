// Pass 39's rules under attack. A refusal is the coordinator's by its media type whatever its case and with a UTF-8
// charset (`Application/Problem+JSON; Charset=UTF-8`), never with another charset or an empty body (each told as another
// server's, with the URL's advice). `enroll NAME` takes a name at HostName's 64 characters and refuses the 65th, and
// any letter outside ASCII (`é`, 2 bytes: no factory name has one), as the agent's --name does: one rule. A file the
// command line names may be a pipe (`submit <(…)`, a FIFO with a writer) and may start with a UTF-8 BOM (dropped:
// the manifest's frontmatter and the children's JSON still parse); one larger than the coordinator takes (a manifest
// over MAX_MANIFEST_BYTES, children over MAX_CHILDREN_BYTES) is refused before it is read whole or sent —
// `file_too_large`, exit 2 — where the CLI read all of it into memory and uploaded it, to be refused 413.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { assertHostName } from "../../src/agent/credential-checks.ts";
import { MAX_MANIFEST_BYTES } from "../../src/core/manifest-schema.ts";
import { MAX_CHILDREN_BYTES } from "../../src/shared/api-policies.ts";
import { apiErrorOf } from "../../src/shared/http-transport.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const BIN = fileURLToPath(new URL("../../bin/gigafactory.mjs", import.meta.url));
const PROBLEM = { type: "about:blank", title: "Not found", detail: "job job_1 does not exist", code: "not_found" };

/** The REST client's reading of an answer `status` with `body` as `type`. */
const read = (status: number, body: string, type?: string) =>
  apiErrorOf(new Response(body, { status, headers: type ? { "content-type": type } : {} }));

describe("whose refusal it is", () => {
  it("the coordinator's problem in any case of its media type, with a UTF-8 charset", async () => {
    for (const type of ["Application/Problem+JSON", "application/problem+json; Charset=UTF-8"]) {
      const e = await read(404, JSON.stringify(PROBLEM), type);
      expect([e.code, e.fromCoordinator], type).toEqual(["not_found", true]);
    }
  });

  it("not with another charset, nor an empty body, which are told as another server's", async () => {
    const latin1 = await read(404, JSON.stringify(PROBLEM), "application/problem+json; charset=iso-8859-1");
    expect([latin1.code, latin1.fromCoordinator]).toEqual(["http_404", false]);
    const empty = await read(401, "", "application/problem+json");
    expect([empty.code, empty.fromCoordinator]).toEqual(["http_401", false]);
    const { url } = await stubCoordinator((_req, reply) => reply.text(401, "", "application/problem+json"));
    const run = await captureCli(["jobs", ...connection(url, "shop", `gf_shop_${"E".repeat(43)}`)]);
    expect(run.stderr).toMatch(/^✘ ERROR http_401: HTTP 401 Unauthorized \/ the answer is not a Gigafactory problem/);
  });
});

describe("enroll NAME at the bound", () => {
  /** The CLI's `enroll NAME --direct` exit and first stderr line, and the agent's verdict on the same --name. */
  async function both(name: string) {
    const { url, lines } = await stubCoordinator((_req, reply) => reply.json(500, { code: "internal" }));
    const run = await captureCli(["enroll", name, "--direct", ...connection(url, "shop", "admin-token")]);
    let agent = "taken";
    try {
      assertHostName(name, "--name");
    } catch (err) {
      agent = (err as { code: string }).code;
    }
    return { cli: run.code === 2 ? /^✘ ERROR (\w+)/.exec(run.stderr)?.[1] : "sent", agent, sent: lines.length > 0 };
  }

  it("takes 64 characters, refuses 65 and any letter outside ASCII, as the agent's --name", async () => {
    expect(await both("a".repeat(64))).toEqual({ cli: "sent", agent: "taken", sent: true });
    expect(await both("a".repeat(65))).toEqual({ cli: "bad_name", agent: "bad_name", sent: false });
    expect(await both("é".repeat(32))).toEqual({ cli: "bad_name", agent: "bad_name", sent: false });
  });
});

describe("a file the command line names", () => {
  /** A stand-in that records each body and answers a created job or children. */
  async function coordinator() {
    return stubCoordinator((req, reply) => {
      if (req.url.endsWith("/children"))
        return reply.json(201, { parent: { id: "job_1" }, children: [{ id: "job_2", title: "c" }] });
      return reply.json(201, { id: "job_9", title: "t", stage: "queued" });
    });
  }

  it("may start with a UTF-8 BOM, dropped before it is sent", async () => {
    const dir = testTempDir("gf-hostile-inputs-");
    const md = path.join(dir, "bom.md");
    writeFileSync(md, `\ufeff---\ntitle: t\n---\nbody\n`);
    const stub = await coordinator();
    const run = await captureCli(["submit", md, ...connection(stub.url, "shop", "admin-token")]);
    expect(run.stderr).not.toMatch(/ERROR/);
    expect(stub.seen[0]?.body).toBe("---\ntitle: t\n---\nbody\n");
    const json = path.join(dir, "bom.json");
    writeFileSync(json, `\ufeff{"children": [{"title": "c"}]}`);
    await captureCli(["children", "job_1", json, ...connection(stub.url, "shop", "admin-token")]);
    expect(stub.seen[1]?.body).toEqual({ children: [{ title: "c" }] });
  });

  it("may be a pipe with a writer (`submit <(…)`), read by the real CLI process", async () => {
    const dir = testTempDir("gf-hostile-inputs-");
    const fifo = path.join(dir, "in.md");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const stub = await coordinator();
    const cli = spawn(process.execPath, [BIN, "submit", fifo, ...connection(stub.url, "shop", "admin-token")]);
    let stderr = "";
    cli.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    writeFileSync(fifo, "---\ntitle: piped\n---\n"); // opens the pipe for writing: waits for the CLI to read it
    const code = await new Promise((r) => cli.once("exit", r));
    expect(code, stderr).toBe(0);
    expect(stub.seen[0]?.body).toBe("---\ntitle: piped\n---\n");
  });

  it("larger than the coordinator takes is refused before it is sent, exit 2", async () => {
    const dir = testTempDir("gf-hostile-inputs-");
    const md = path.join(dir, "big.md");
    writeFileSync(md, `---\ntitle: t\n---\n${"x".repeat(MAX_MANIFEST_BYTES)}`);
    const json = path.join(dir, "big.json");
    writeFileSync(json, JSON.stringify({ children: [{ title: "x".repeat(MAX_CHILDREN_BYTES) }] }));
    const stub = await coordinator();
    for (const argv of [
      ["submit", md],
      ["children", "job_1", json],
    ]) {
      const run = await captureCli([...argv, ...connection(stub.url, "shop", "admin-token")]);
      expect([run.code, /^✘ ERROR (\w+)/.exec(run.stderr)?.[1]], run.stderr).toEqual([2, "file_too_large"]);
    }
    expect(stub.lines).toEqual([]);
  });

  it("a directory given to children is file_unreadable, exit 2", async () => {
    const dir = testTempDir("gf-hostile-inputs-");
    mkdirSync(path.join(dir, "sub"));
    const run = await captureCli([
      "children",
      "job_1",
      path.join(dir, "sub"),
      ...connection("http://127.0.0.1:2", "shop", "admin-token"),
    ]);
    expect([run.code, /^✘ ERROR (\w+)/.exec(run.stderr)?.[1]]).toEqual([2, "file_unreadable"]);
  });
});
