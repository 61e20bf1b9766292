// A failure under --json is still one JSON document on stdout: `{error: {code, message, fix, exitCode}}` with the
// same exit code (2 usage, 1 failed) — for usage errors caught before any command runs, refusals from the
// coordinator and errors the CLI finds itself — and, for `watch`'s NDJSON stream, one last compact line after the
// events already printed. It printed nothing on stdout, so a script reading it had no code to act on. The `✘ ERROR`
// line still goes to stderr, secrets are hidden in both, a `--json` after `--` is an argument, and without --json
// stdout stays empty.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

type ErrorDoc = { error: { code: string; message: string; fix: string; exitCode: number } };

/** stdout parsed as exactly one JSON document (JSON.parse refuses anything before or after it). */
const onlyDocument = (stdout: string): ErrorDoc => JSON.parse(stdout) as ErrorDoc;

describe("--json failures print one error document on stdout", () => {
  it.each([
    [["jobs", "--json", "--bogus"], "Unknown option '--bogus'"],
    [["jobs", "--stage", "--json"], "--stage needs a value"],
    [["jobs", "--json", "--limit", "0"], "--limit must be a whole number"],
    [["frobnicate", "--json"], 'unknown command "frobnicate"'],
    [["job", "--json"], "missing ID"],
    [["--json"], "missing command"],
    [["factory", "--json"], '"factory" needs a subcommand'],
  ])("usage error %j: exit 2, {error: {code: usage}}", async (argv, what) => {
    const r = await captureCli(argv);
    expect(r.code).toBe(2);
    const doc = onlyDocument(r.stdout);
    expect(doc.error).toMatchObject({ code: "usage", exitCode: 2 });
    expect(doc.error.message).toContain(what);
    expect(doc.error.fix).toMatch(/^see `gigafactory .*--help`$/);
    expect(r.stderr).toMatch(/^✘ ERROR usage: /);
  });

  it("a refusal from the coordinator: exit 1, its code, message and fix; secrets hidden", async () => {
    const secret = `gf_shop_${"a".repeat(43)}`;
    const { url } = await stubCoordinator((_req, reply) =>
      reply.problem(401, { title: "Unauthorized", detail: `token ${secret} is revoked`, code: "unauthorized" }),
    );
    const r = await captureCli(["jobs", "--json", ...connection(url, "shop")]);
    expect(r.code).toBe(1);
    const doc = onlyDocument(r.stdout);
    expect(doc.error).toMatchObject({ code: "unauthorized", exitCode: 1 });
    expect(doc.error.message).toMatch(/^token .+ is revoked$/);
    expect(doc.error.fix).toContain("gigafactory login");
    expect(r.stdout).not.toContain(secret);
    expect(r.stderr).toMatch(/^✘ ERROR unauthorized: /);
  });

  it("an error the CLI finds itself (no connection configured): exit 2 and its code", async () => {
    const r = await captureCli(["jobs", "--json"]);
    expect(r.code).not.toBe(0);
    expect(onlyDocument(r.stdout).error.exitCode).toBe(r.code);
  });

  it("without --json, or with --json only after `--`, stdout stays empty", async () => {
    for (const argv of [
      ["jobs", "--bogus"],
      ["jobs", "--", "--json"],
    ]) {
      const r = await captureCli(argv);
      expect({ argv, stdout: r.stdout }).toEqual({ argv, stdout: "" });
      expect(r.code).not.toBe(0);
    }
  });

  it("watch --json: the events already streamed, then the error as one last NDJSON line", async () => {
    const events = [1, 2].map((seq) => ({ seq, type: "log", at: seq, data: { line: `line ${seq}` } }));
    let streams = 0;
    const { url } = await stubCoordinator((req, reply) => {
      const path = new URL(req.url, "http://x").pathname;
      if (path.endsWith("/events/stream") && ++streams > 1) {
        reply.problem(403, { title: "Forbidden", detail: "token revoked meanwhile", code: "forbidden" });
      } else if (path.endsWith("/events/stream")) {
        reply.text(
          200,
          events.map((e) => `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`).join(""),
          "text/event-stream",
        );
      } else if (path.endsWith("/events")) reply.json(200, { events, lastSeq: 2 });
      else reply.json(200, { id: "job_1", title: "T", stage: "building" });
    });
    const r = await captureCli(["watch", "job_1", "--json", ...connection(url, "shop")]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l) as { seq?: number })).toMatchObject([
      { seq: 1 },
      { seq: 2 },
      { error: { code: "forbidden", message: "token revoked meanwhile", exitCode: 1 } },
    ]);
  });

  it("watch --json failing before any event: the error is still one compact NDJSON line", async () => {
    const { url } = await stubCoordinator((_req, reply) =>
      reply.problem(404, { title: "Not found", detail: "job job_x does not exist", code: "not_found", what: "job" }),
    );
    const r = await captureCli(["watch", "job_x", "--json", ...connection(url, "shop")]);
    expect(r.code).toBe(1);
    expect(r.stdout.endsWith("\n") && !r.stdout.slice(0, -1).includes("\n"), r.stdout).toBe(true);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "not_found", exitCode: 1 } });
  });

  it("--version --json is {version}", async () => {
    const r = await captureCli(["--version", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it("prints every one-document --json alike, two spaces a level: --version, --help, an error", async () => {
    // `--version --json` was compact where every other document is indented: one printer for them all now.
    for (const argv of [["--version"], ["--help"], ["jobs", "--help"], ["jobs", "--bogus"]]) {
      const r = await captureCli([...argv, "--json"]);
      expect(r.stdout, argv.join(" ")).toBe(`${JSON.stringify(JSON.parse(r.stdout), null, 2)}\n`);
    }
  });
});
