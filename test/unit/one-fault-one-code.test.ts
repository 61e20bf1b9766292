// One fault, one code, in the CLI and the agent alike: a URL that cannot be a coordinator is `bad_url` (the CLI said
// `usage`), no URL or token to connect with `not_logged_in` (the agent said `missing_url`, `missing_token`, or
// `config_missing` with no config file), no product and a token naming none `product_required` (the agent said
// `missing_product`), and `login` or `enroll` given no URL `usage` (enroll said `missing_url`) — each exit 2, from
// the real programs. The retired codes are thrown nowhere, so a fault cannot get a second code again unnoticed. With
// nothing to connect with, each names the config file it looked for when that is not there — the CLI's GIGAFACTORY_CONFIG,
// where `login` saves, as the agent's state dir's (the CLI said "no coordinator URL is configured" alone, so a typo
// in the path went unseen); the agent's `--config FILE`, only read, that does not exist is `config_missing`. A flag's
// value neither program takes (`--cap "bad cap"` of `enroll`, the agent's `--seats`) is `usage` in words both share (the
// agent said `bad_flag`, and the CLI another sentence for the same --cap). A name no factory can have is `bad_name`
// from both (`gigafactory enroll NAME` sent it, for the coordinator's `validation_failed`, exit 1), and a saved login or
// factory token that cannot be written `config_unwritable` (the agent said `config_unsaved`).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { captureCli } from "../support/cli-harness.ts";
import { thrownCodes } from "../support/thrown-codes.ts";
import { runAgent } from "./agent-process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-one-fault-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = `gf_shop_${"A".repeat(43)}`;
const CODE = `gfe_shop_${"B".repeat(43)}`;
const NO_PRODUCT = "admin-secret-token";
const DEAD = "http://127.0.0.1:2";
const state = (name: string) => ["--state-dir", path.join(dir, name)];

/** The fault, and how each program is made to meet it: the CLI's argv and environment, the agent's argv. */
const FAULTS: Array<{ code: string; cli: Array<[string[], Record<string, string>?]>; agent: string[][] }> = [
  {
    code: "bad_url",
    cli: [[["jobs", "--url", "notaurl", "--token", TOKEN]], [["login", "--url", "notaurl", "--token", TOKEN]]],
    agent: [
      ["run", "--url", "notaurl", "--token", TOKEN, ...state("a1")],
      ["enroll", "--url", "notaurl", "--code", CODE, ...state("a2")],
    ],
  },
  {
    code: "not_logged_in",
    cli: [[["jobs"]], [["jobs", "--url", DEAD]], [["jobs"], { GIGAFACTORY_TOKEN: TOKEN }]],
    agent: [
      ["run", ...state("b1")],
      ["run", "--url", DEAD, ...state("b2")],
      ["run", "--token", TOKEN, ...state("b3")],
    ],
  },
  {
    code: "product_required",
    cli: [[["jobs", "--url", DEAD, "--token", NO_PRODUCT]], [["login", "--url", DEAD, "--token", NO_PRODUCT]]],
    agent: [["run", "--url", DEAD, "--token", NO_PRODUCT, ...state("c1")]],
  },
  {
    code: "bad_name",
    cli: [
      [["enroll", "box 7!", "--url", DEAD, "--token", TOKEN]],
      [["enroll", "_box", "--direct", "--url", DEAD, "--token", TOKEN]],
    ],
    agent: [["enroll", "--url", DEAD, "--code", CODE, "--name", "box 7!", ...state("h1")]],
  },
  {
    code: "usage",
    cli: [[["login", "--token", TOKEN]], [["enroll", "box", "--cap", "bad cap", "--url", DEAD, "--token", TOKEN]]],
    agent: [
      ["enroll", "--code", CODE, ...state("d1")],
      ["enroll", "--url", DEAD, "--code", CODE, "--cap", "bad cap", ...state("d2")],
      ["run", "--url", DEAD, "--token", TOKEN, "--seats", "0", ...state("d3")],
    ],
  },
];

describe("one fault, one code, in both programs", () => {
  for (const fault of FAULTS) {
    it(`${fault.code}: the CLI and the agent say it alike, exit 2`, async () => {
      const said: string[] = [];
      for (const [argv, env] of fault.cli) {
        const run = await captureCli([...argv, "--json"], { env });
        const error = JSON.parse(run.stdout).error as { code: string; exitCode: number };
        said.push(`gigafactory ${argv[0]}: ${error.code} ${run.code}`);
      }
      const runs = await Promise.all(fault.agent.map((argv) => runAgent(argv)));
      runs.forEach((run, i) => {
        const code = /^✘ ERROR (\w+):/m.exec(run.stderr)?.[1] ?? run.out;
        said.push(`gigafactory-agent ${fault.agent[i]?.[0]}: ${code} ${run.code}`);
      });
      expect(said).toEqual(said.map((s) => s.replace(/: .*/, `: ${fault.code} 2`)));
    });
  }

  it("a config file with a token and no URL is not_logged_in too", async () => {
    const file = path.join(dir, "token-only.json");
    writeFileSync(file, JSON.stringify({ token: TOKEN }), { mode: 0o600 });
    const cli = await captureCli(["jobs"], { env: { GIGAFACTORY_CONFIG: file } });
    const agent = await runAgent(["run", "--config", file, ...state("e1")]);
    expect([cli.stderr, agent.stderr].map((s) => /^✘ ERROR (\w+):/m.exec(s)?.[1])).toEqual([
      "not_logged_in",
      "not_logged_in",
    ]);
    expect([cli.code, agent.code]).toEqual([2, 2]);
  });

  it("no login where the config file should be: both name the file", async () => {
    const file = path.join(dir, "typo", "config.json");
    const cli = await captureCli(["jobs"], { env: { GIGAFACTORY_CONFIG: file } });
    expect(cli.stderr).toBe(
      `✘ ERROR not_logged_in: no coordinator URL is configured, and GIGAFACTORY_CONFIG names ${file}, which does ` +
        "not exist / run `gigafactory login --url URL --token TOKEN`, or set GIGAFACTORY_URL and GIGAFACTORY_TOKEN; " +
        "or point GIGAFACTORY_CONFIG at your saved login, or unset it\n",
    );
    const agent = await runAgent(["run", ...state("f1")]);
    expect(agent.stderr).toContain(`✘ ERROR not_logged_in: no config file at ${path.join(dir, "f1", "config.json")}`);
    const named = await runAgent(["run", "--config", file, ...state("f2")]);
    expect(named.stderr).toContain(`✘ ERROR config_missing: --config ${file} does not exist`);
    expect([cli.code, agent.code, named.code]).toEqual([2, 2, 2]);
  });

  it("a --cap value that is no capability is said in the same words by both", async () => {
    const cli = await captureCli(["enroll", "box", "--cap", "bad cap", "--url", DEAD, "--token", TOKEN]);
    const agent = await runAgent(["enroll", "--url", DEAD, "--code", CODE, "--cap", "bad cap", ...state("g1")]);
    const what = (s: string) => /^✘ ERROR (\w+: .*?) \/ /m.exec(s)?.[1];
    expect(what(cli.stderr)).toBe(
      'usage: --cap "bad cap" is not a capability (letters, digits and ._:/+-, at most 64, e.g. gpu or region:eu)',
    );
    expect(what(agent.stderr)).toBe(what(cli.stderr));
    const named = await captureCli(["enroll", "box 7!", "--url", DEAD, "--token", TOKEN]);
    const host = await runAgent(["enroll", "--url", DEAD, "--code", CODE, "--name", "box 7!", ...state("g2")]);
    expect(what(named.stderr)).toBe(
      `bad_name: NAME "box 7!" is not a factory name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
    expect(what(host.stderr)).toBe(what(named.stderr)?.replace("NAME", "--name"));
  });

  it("the codes these faults had before are thrown nowhere", () => {
    const thrown = thrownCodes("src/cli", "src/agent", "src/shared");
    const retired = ["missing_url", "missing_token", "missing_product", "bad_flag", "config_unsaved"];
    expect(retired.filter((code) => thrown.has(code))).toEqual([]);
    // A saved login or factory token that cannot be written: config_unwritable from both, exit 1 (the agent said
    // config_unsaved).
    const cli = thrownCodes("src/cli");
    const agent = thrownCodes("src/agent");
    expect([cli.get("config_unwritable"), agent.get("config_unwritable")]).toEqual([new Set(["1"]), new Set(["1"])]);
  });
});
