// The saved login on a hostile or broken disk: a link or file planted at the temporary name is never written
// through (the token went into a file someone else owned), a config path `gigafactory login` cannot write (a
// directory, a parent that is a file) is `✘ ERROR config_unwritable` naming the file, with nothing left behind (it was
// `internal … this is a CLI bug`, and the temporary file with the token in it stayed), and a config that is a link
// stays a link, its target replaced. A saved token in a file other users may read is named on stderr, and a field
// that is not a string is config_invalid naming it (it was skipped: "no coordinator token is configured"). A pipe or
// device at the config path is refused at once (a FIFO hung every command; a link to /dev/zero read up to 2 GiB), and
// a file too large to be a login is refused unread. Only the default path's file is one to delete: a path
// GIGAFACTORY_CONFIG names may be any file, and the fix says to point the variable elsewhere.

import { execFileSync } from "node:child_process";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readConfigFile, writeConfigFile } from "../../src/cli/config.ts";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const TOKEN = `gf_shop_${"B".repeat(43)}`;
const LOGIN = { url: "http://127.0.0.1:2", token: TOKEN, product: "shop" };

/** A coordinator that takes every token: the queue state answers version 3. */
async function coordinator(): Promise<string> {
  const { url } = await stubCoordinator((_req, reply) => reply.json(200, { version: 3 }));
  return url;
}

describe("writing the saved login", () => {
  it("never writes the token through a link planted at the temporary name", () => {
    const dir = testTempDir("gf-cli-config-file-");
    const file = path.join(dir, "config.json");
    const elsewhere = path.join(dir, "elsewhere.txt");
    writeFileSync(elsewhere, "", { mode: 0o644 });
    symlinkSync(elsewhere, `${file}.${process.pid}.tmp`);
    writeConfigFile(file, LOGIN);
    expect(readFileSync(elsewhere, "utf8")).toBe("");
    expect(statSync(elsewhere).mode & 0o777).toBe(0o644);
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readConfigFile(file)).toEqual(LOGIN);
    expect(readdirSync(dir).sort()).toEqual(["config.json", "elsewhere.txt"]);
  });

  it("writes through a config that is a link, keeping the link", () => {
    const dir = testTempDir("gf-cli-config-file-");
    const real = path.join(dir, "dotfiles", "gigafactory.json");
    mkdirSync(path.dirname(real));
    writeFileSync(real, "{}\n");
    const file = path.join(dir, "config.json");
    symlinkSync(real, file);
    writeConfigFile(file, LOGIN);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(real, "utf8"))).toEqual(LOGIN);
    expect(statSync(real).mode & 0o777).toBe(0o600);
  });

  it("is refused as config_unwritable, leaving nothing behind, where a directory stands", async () => {
    const url = await coordinator();
    const dir = testTempDir("gf-cli-config-file-");
    const file = path.join(dir, "config.json");
    mkdirSync(file);
    const run = await captureCli(["login", "--url", url, "--token", TOKEN], { env: { GIGAFACTORY_CONFIG: file } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^✘ ERROR config_unwritable: cannot save the login to .*config\.json: .* \/ .*point GIGAFACTORY_CONFIG at a file you can write; nothing was saved\n$/,
    );
    expect(readdirSync(dir)).toEqual(["config.json"]);
    expect(readdirSync(file)).toEqual([]);
  });

  it("is refused as config_unwritable under a parent that is a file, also under --json", async () => {
    const url = await coordinator();
    const dir = testTempDir("gf-cli-config-file-");
    writeFileSync(path.join(dir, "not-a-dir"), "");
    const file = path.join(dir, "not-a-dir", "config.json");
    const run = await captureCli(["login", "--url", url, "--token", TOKEN, "--json"], {
      env: { GIGAFACTORY_CONFIG: file },
    });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "config_unwritable", exitCode: 1 } });
    expect(readdirSync(dir)).toEqual(["not-a-dir"]);
  });
});

describe("reading the saved login", () => {
  it("names a token in a file other users may read, on stderr, and runs on", async () => {
    const url = await coordinator();
    const file = path.join(testTempDir("gf-cli-config-file-"), "config.json");
    writeFileSync(file, JSON.stringify({ url, token: TOKEN, product: "shop" }));
    chmodSync(file, 0o644);
    const run = await captureCli(["queue-state", "--json"], { env: { GIGAFACTORY_CONFIG: file } });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ version: 3 });
    expect(run.stderr).toBe(
      `⚠ ${file} holds a token and its permissions 0644 let other users read it: chmod 600 ${file}\n`,
    );
    chmodSync(file, 0o600);
    const quiet = await captureCli(["queue-state", "--json"], { env: { GIGAFACTORY_CONFIG: file } });
    expect(quiet.stderr).toBe("");
  });

  it("refuses a field that is not a string as config_invalid naming it, not as a login never made", async () => {
    const file = path.join(testTempDir("gf-cli-config-file-"), "config.json");
    writeFileSync(file, JSON.stringify({ url: "http://127.0.0.1:2", token: 123456, product: "shop", later: 1 }), {
      mode: 0o600,
    });
    const run = await captureCli(["jobs"], { env: { GIGAFACTORY_CONFIG: file } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `✘ ERROR config_invalid: ${file} is not a valid config: \`token\` is not a string / if it is your saved login, run \`gigafactory login\` again; else point GIGAFACTORY_CONFIG at that, or unset it\n`,
    );
    writeFileSync(file, JSON.stringify({ url: "http://127.0.0.1:2", token: TOKEN, product: "shop", later: 1 }));
    expect(readConfigFile(file)).toEqual({ url: "http://127.0.0.1:2", token: TOKEN, product: "shop" });
  });

  it("says a directory at the config path is not a file it can read", async () => {
    const file = path.join(testTempDir("gf-cli-config-file-"), "config.json");
    mkdirSync(file);
    const run = await captureCli(["jobs"], { env: { GIGAFACTORY_CONFIG: file } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^✘ ERROR config_unreadable: .*config\.json is a directory, not a saved login \/ point GIGAFACTORY_CONFIG at/,
    );
  });

  it("says to delete the default path's file, never one GIGAFACTORY_CONFIG names (any file: a device, notes)", async () => {
    const home = testTempDir("gf-cli-config-file-");
    const own = path.join(home, "gigafactory", "config.json");
    mkdirSync(path.dirname(own));
    writeFileSync(own, "{not json", { mode: 0o600 });
    const byDefault = await captureCli(["jobs"], { env: { GIGAFACTORY_CONFIG: "", XDG_CONFIG_HOME: home } });
    expect(byDefault.code).toBe(2);
    expect(byDefault.stderr).toMatch(/ \/ run `gigafactory login` again, or delete the file\n$/);
    const notes = path.join(home, "notes.md");
    writeFileSync(notes, "# notes\n");
    for (const file of [notes, "/dev/null"]) {
      const named = await captureCli(["jobs"], { env: { GIGAFACTORY_CONFIG: file } });
      expect(named.code, named.stderr).toBe(2);
      expect(named.stderr).toMatch(/^✘ ERROR config_(invalid|unreadable): .* \/ (if it is your saved login|point GIG)/);
      expect(named.stderr).not.toMatch(/delete/);
    }
  });

  it("refuses a pipe or a device at the config path at once", async () => {
    const dir = testTempDir("gf-cli-config-file-");
    const fifo = path.join(dir, "fifo.json");
    execFileSync("mkfifo", [fifo]);
    const device = path.join(dir, "zero.json");
    symlinkSync("/dev/zero", device);
    for (const file of [fifo, device]) {
      const run = await captureCli(["jobs", "--json"], { env: { GIGAFACTORY_CONFIG: file } });
      expect(run.code).toBe(2);
      expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "config_unreadable", exitCode: 2 } });
      expect(run.stderr).toContain("is not a regular file (a pipe, a device…), not a saved login");
    }
  });

  it("refuses a file too large to be a login, unread", async () => {
    const large = path.join(testTempDir("gf-cli-config-file-"), "large.json");
    writeFileSync(large, `{"url": "http://h", "pad": "${"x".repeat(70_000)}"}`, { mode: 0o600 });
    const run = await captureCli(["jobs"], { env: { GIGAFACTORY_CONFIG: large } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^✘ ERROR config_invalid: .*large\.json is 700\d\d bytes; a saved login is under 65536 bytes/,
    );
  });
});
