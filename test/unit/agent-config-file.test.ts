// What the agent says about its config file (agent/config-file-checks): a required file that is missing is
// `config_missing` when --config named it, `not_logged_in` (the CLI's code for nothing to connect with) for the default
// one, exit 2, naming the path and which of URL and token is missing; a directory where the file belongs
// is said to be one, with its fix; unknown keys
// (typos such as `prodcut`) are named in a warning with the key probably meant; a file holding the token that other
// users can read is warned about, as ssh does; a value with a `\r` or blanks around it (Windows line endings) is read
// without them, one with a blank inside is still refused.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ENROLL_FLAGS, parseArgs, RUN_FLAGS } from "../../src/agent/cli-args.ts";
import { resolveRunConfig } from "../../src/agent/config.ts";
import { configFileWarnings, requireConfigFile, unknownConfigKeys } from "../../src/agent/config-file-checks.ts";
import { enrollCommand } from "../../src/agent/enroll.ts";
import { createOutput } from "../../src/agent/output.ts";
import { readConfigFile } from "../../src/agent/state.ts";
import type { FixableError } from "../../src/shared/fixable-error.ts";
import { runAgent } from "./agent-process.ts";

const TOKEN = `gf_acme_${"T".repeat(43)}`;
const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-config-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("unknown keys", () => {
  it("are named, with the known key a typo was probably meant as", () => {
    expect(unknownConfigKeys({ prodcut: "p", url: "http://u", tokn: "t", zebra: 1 })).toEqual([
      { key: "prodcut", meant: "product" },
      { key: "tokn", meant: "token" },
      { key: "zebra" },
    ]);
    const [w] = configFileWarnings("/c.json", { url: "http://u", prodcut: "p" } as never, undefined);
    expect(w).toMatchObject({
      event: "config.unknown_keys",
      text: expect.stringContaining("prodcut (did you mean product?)"),
    });
  });

  it("say nothing for a file of known keys", () => {
    expect(configFileWarnings("/c.json", { url: "http://u", product: "p", token: TOKEN }, 0o100600)).toEqual([]);
  });
});

describe("a file written with Windows line endings", () => {
  const defaults = { stateDir: "/s", hostname: "h" };
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  };

  it("is read without the \\r or blanks around its values: the agent runs with the URL, token and product meant", () => {
    // What a generator fed a Windows tool's output writes: CRLF lines, and values ending in an escaped \r.
    const lines = [
      "{",
      '  "url": "https://gf.example.com/\\r",',
      `  "token": " ${TOKEN}\\r\\n",`,
      '  "product": "acme\\r"',
      "}",
    ];
    const file = write("crlf.json", `${lines.join("\r\n")}\r\n`);
    const cfg = resolveRunConfig({}, {}, readConfigFile(file), defaults);
    expect(cfg).toMatchObject({ url: "https://gf.example.com", token: TOKEN, product: "acme" });
  });

  it("still has a URL with a blank inside refused as bad_url, naming the config file", () => {
    const file = write("inner.json", JSON.stringify({ url: "https://gf.exa mple.com", token: TOKEN }));
    let err: FixableError | undefined;
    try {
      resolveRunConfig({}, {}, readConfigFile(file), defaults);
    } catch (e) {
      err = e as FixableError;
    }
    expect(err).toMatchObject({ code: "bad_url", exitCode: 2, message: expect.stringContaining("config file") });
  });
});

describe("enroll", () => {
  it("names the unknown keys of the file it is about to rewrite (and keep)", async () => {
    const stateDir = path.join(dir, "enroll");
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(path.join(stateDir, "config.json"), JSON.stringify({ egnines: { x: "true" } }));
    const lines: string[] = [];
    const out = createOutput(false, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    const { flags } = parseArgs(["enroll", "--url", "http://127.0.0.1:2", "--token", TOKEN], {
      enroll: ENROLL_FLAGS,
      run: RUN_FLAGS,
    });
    await enrollCommand(flags, stateDir, out);
    expect(lines[0]).toMatch(/^⚠ .*egnines \(did you mean engines\?\)/);
  });
});

describe("a token others can read", () => {
  it("is warned about with the chmod that fixes it; a file without a token is not", () => {
    for (const mode of [0o100644, 0o100640, 0o100604]) {
      const [w] = configFileWarnings("/c.json", { token: TOKEN }, mode);
      expect(w).toMatchObject({ event: "config.too_open", text: expect.stringContaining("chmod 600 /c.json") });
      expect(w?.text).not.toContain(TOKEN);
    }
    expect(configFileWarnings("/c.json", { url: "http://u" }, 0o100644)).toEqual([]);
  });
});

describe("config_missing and not_logged_in", () => {
  const refusal = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return e as FixableError;
    }
    return undefined;
  };

  it("when --config names no file, or no file exists and the flags and environment do not say where and who", () => {
    expect(refusal(() => requireConfigFile("/x.json", false, true, []))).toMatchObject({
      code: "config_missing",
      exitCode: 2,
      message: expect.stringContaining("/x.json"),
    });
    expect(refusal(() => requireConfigFile("/x.json", false, false, ["url", "token"]))).toMatchObject({
      code: "not_logged_in",
      message: "no config file at /x.json, and no --url and no --token given",
      fix: expect.stringContaining("enroll"),
    });
    expect(refusal(() => requireConfigFile("/x.json", false, false, []))).toBeUndefined();
    expect(refusal(() => requireConfigFile("/x.json", true, true, ["url"]))).toBeUndefined();
  });

  it("names only what is missing when one of URL and token was given", () => {
    const noToken = refusal(() => requireConfigFile("/x.json", false, false, ["token"]));
    expect(noToken?.message).toBe("no config file at /x.json, and no --token given");
    expect(noToken?.fix).toContain("or pass --token (or set GIGAFACTORY_FACTORY_TOKEN)");
    expect(noToken?.fix).not.toContain("--url (");
    const noUrl = refusal(() => requireConfigFile("/x.json", false, false, ["url"]));
    expect(noUrl?.message).toBe("no config file at /x.json, and no --url given");
    expect(noUrl?.fix).toContain("or pass --url (or set GIGAFACTORY_URL)");
  });
});

describe("the real process", () => {
  it("run --config naming no file exits 2 with config_missing and the path", async () => {
    const missing = path.join(dir, "nope.json");
    const r = await runAgent(["run", "--config", missing, "--state-dir", path.join(dir, "s1")]);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`✘ ERROR config_missing: --config ${missing} does not exist`);
  });

  it("run --url without a token, and no config file: not_logged_in says the token is what is missing", async () => {
    const r = await runAgent(["run", "--url", "http://127.0.0.1:2", "--state-dir", path.join(dir, "s3")]);
    expect(r.code).toBe(2);
    expect(r.out).toContain("✘ ERROR not_logged_in: no config file at");
    expect(r.out).toContain("and no --token given");
  });

  it("a config path that is a directory: config_unreadable saying so, with how to fix it", async () => {
    const stateDir = path.join(dir, "s4");
    mkdirSync(path.join(stateDir, "config.json"), { recursive: true });
    const asConfig = await runAgent(["run", "--config", stateDir, "--state-dir", stateDir]);
    expect(asConfig.code).toBe(2);
    expect(asConfig.out).toContain(`✘ ERROR config_unreadable: ${stateDir} is a directory, not a config file`);
    expect(asConfig.out).toContain(`--config ${path.join(stateDir, "config.json")}`);
    expect(asConfig.out).not.toContain("EISDIR");
    const atDefault = await runAgent([
      "enroll",
      "--url",
      "http://127.0.0.1:2",
      "--token",
      TOKEN,
      "--state-dir",
      stateDir,
    ]);
    expect(atDefault.code).toBe(2);
    expect(atDefault.out).toContain("is a directory, not a config file / name the file itself");
  });

  it("run warns about a typo and an open token file before it refuses what the typo left out", async () => {
    const stateDir = path.join(dir, "s2");
    mkdirSync(stateDir, { recursive: true });
    const file = path.join(stateDir, "config.json");
    writeFileSync(file, JSON.stringify({ url: "http://127.0.0.1:2", prodcut: "acme", token: "plain-token-x" }));
    chmodSync(file, 0o644);
    const r = await runAgent(["run", "--state-dir", stateDir, "--engine", "x=true"]);
    expect(r.out).toContain("⚠");
    expect(r.out).toContain("prodcut (did you mean product?)");
    expect(r.out).toContain(`chmod 600 ${file}`);
    expect(r.out).toContain("✘ ERROR product_required");
    expect(r.out).not.toContain("plain-token-x");
    expect(r.code).toBe(2);
  });
});
