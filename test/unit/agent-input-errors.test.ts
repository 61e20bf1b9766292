// A mistake in what an operator gives the agent — a flag, the config file, an engine template, a state or work dir —
// is a `✘ ERROR code: what / fix` line and exit 2, never `✘ ERROR internal: … this is a bug` with a stack trace and
// exit 1: a bad `--cap` (enroll, with a code or a token, and run) is `usage`, as the CLI's; a config file's bad
// capability, engine name or unsplittable engine template is `config_invalid` naming the file, and a --config that is not JSON is too, its
// fix never "delete it and enroll again" (it may be any file, and enroll writes the state dir's); a state dir this
// user cannot create is `state_dir_unusable`, and (as root) a work dir it cannot create `work_dir_unusable`; a flag
// whose value was forgotten (`--code --state-dir X`) is a usage error naming it, not the next flag taken as its
// value. Real agent processes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectCapabilities } from "../../src/agent/capabilities.ts";
import { runAgent } from "./agent-process.ts";

const TOKEN = `gf_acme_${"T".repeat(43)}`;
const CODE = `gfe_acme_${"C".repeat(43)}`;
const URL = "http://127.0.0.1:2"; // nothing listens: every case must be refused before any request
const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const state = (name: string) => ["--state-dir", path.join(dir, name)];
const ownUser = ["--engine-user", userInfo().username];

/** The agent's refusal: exit 2 with `✘ ERROR <code>: …` naming `what`, and nothing that reads as our bug. */
async function expectRefused(args: string[], code: string, what: string | RegExp) {
  const r = await runAgent(args);
  expect(r.stderr).not.toContain("internal");
  expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
  expect(r.stderr).toContain(`✘ ERROR ${code}: `);
  expect(r.stderr).toMatch(what);
  expect(r.code).toBe(2);
}

const configFile = (name: string, json: Record<string, unknown>) => {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ url: URL, token: TOKEN, ...json }), { mode: 0o600 });
  return file;
};

describe("a bad --cap", () => {
  it("is usage, exit 2, for enroll with a token or a code, and for run", async () => {
    const invalid = /--cap "" is not a capability/;
    await expectRefused(["enroll", "--url", URL, "--token", TOKEN, ...state("e1"), "--cap", ""], "usage", invalid);
    await expectRefused(["enroll", "--url", URL, "--code", CODE, ...state("e2"), "--cap", ""], "usage", invalid);
    await expectRefused(
      ["run", "--url", URL, "--token", TOKEN, ...state("r1"), ...ownUser, "--cap", "bad cap"],
      "usage",
      /--cap "bad cap" is not a capability/,
    );
  });

  it("is a FixableError from detectCapabilities too", () => {
    const facts = { platform: "linux", arch: "x64", nodeVersion: "v22", hasGit: true, hasDocker: false, engines: [] };
    expect(() => detectCapabilities({ ...facts, extra: ["a b"] })).toThrow(
      expect.objectContaining({ code: "usage", exitCode: 2 }),
    );
  });
});

describe("a config file naming", () => {
  const run = (file: string, name: string) => ["run", "--config", file, ...state(name), ...ownUser];

  it("a capability the coordinator would refuse is config_invalid, naming the file and the value", async () => {
    const file = configFile("caps", { capabilities: ["gpu", "bad cap"] });
    await expectRefused(run(file, "c1"), "config_invalid", new RegExp(`${file}: capabilities.1: "bad cap"`));
  });

  it("an engine template that does not split, or an engine name that is none, is config_invalid", async () => {
    const quote = configFile("quote", { engines: { mine: "my-engine 'oops" } });
    await expectRefused(run(quote, "c2"), "config_invalid", /engines: engine mine: unterminated ' quote/);
    const named = configFile("named", { engines: { "Bad Name": "node" } });
    await expectRefused(run(named, "c3"), "config_invalid", /"Bad Name" is no engine name/);
  });

  it("a file that is not JSON, named by --config, is config_invalid whose fix never says to delete it", async () => {
    const notes = path.join(dir, "notes.md");
    writeFileSync(notes, "# my notes\n");
    const fix =
      /is not valid JSON \/ if it is the agent's config, fix it; else name the config file itself with --config/;
    await expectRefused(run(notes, "c4"), "config_invalid", fix);
    expect((await runAgent(run(notes, "c4"))).stderr).not.toMatch(/delete|enroll again/);
  });
});

describe("a directory the agent cannot create", () => {
  it("as its state dir is state_dir_unusable, for run and enroll", async () => {
    const file = path.join(dir, "a-file");
    writeFileSync(file, "");
    const good = configFile("good", {});
    const bad = ["--state-dir", path.join(file, "state")];
    await expectRefused(["run", "--config", good, ...bad, ...ownUser], "state_dir_unusable", /a-file\/state/);
    await expectRefused(["enroll", "--url", URL, "--token", TOKEN, ...bad], "state_dir_unusable", /a-file\/state/);
  });

  it.runIf(process.getuid?.() === 0)("as the work dir of an engine user is work_dir_unusable (root)", async () => {
    const args = ["run", "--url", URL, "--token", TOKEN, ...state("w1"), "--work-dir", "/dev/null/work"];
    await expectRefused(args, "work_dir_unusable", /\/dev\/null\/work/);
  });
});

describe("a flag with no value", () => {
  it("is a usage error naming it, not the next flag swallowed and its value a stray argument", async () => {
    const r = await runAgent(["enroll", "--url", URL, "--code", "--state-dir", path.join(dir, "x")]);
    expect(r.stderr).toContain("✘ ERROR usage: --code needs a value (--state-dir is the next flag");
    expect(r.stderr).not.toContain("unexpected argument");
    expect(r.code).toBe(2);
  });
});
