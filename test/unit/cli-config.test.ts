// Where the CLI's connection comes from: flags over environment over the saved file, and the file kept private; a
// coordinator URL that is not http(s) — from --url, GIGAFACTORY_URL or the saved file — is a usage error (exit 2)
// naming the value and its source, the same check login makes (it used to reach fetch and print `✘ ERROR internal:
// Invalid URL / this is a CLI bug`). A saved file that is not JSON is refused without the text V8 quotes from around
// the fault: it is the file's, and printed part of a token left unquoted.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  configPath,
  envLayer,
  type Layer,
  readConfigFile,
  resolveConnection,
  writeConfigFile,
} from "../../src/cli/config.ts";
import { CliError } from "../../src/cli/errors.ts";
import { captureCli } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const SECRET = "A".repeat(43);
const tokenOf = (product: string): string => `gf_${product}_${SECRET}`;

function failure(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error("expected a CliError");
}

describe("resolveConnection", () => {
  const file = { url: "http://file", token: tokenOf("alpha") };

  it("takes each field from the first layer that has it: flags, then environment, then file", () => {
    expect(resolveConnection({}, {}, file)).toEqual({ url: "http://file", token: tokenOf("alpha"), product: "alpha" });
    // A URL over the saved one brings a token of its own: the saved token stays with its origin (cli-token-origin).
    const env = { url: "http://env", token: tokenOf("alpha") };
    expect(resolveConnection({}, env, file).url).toBe("http://env");
    expect(resolveConnection({ url: "http://flag" }, env, file).url).toBe("http://flag");
  });

  it("infers the product from the token of the layer that supplied it, not from a stale file", () => {
    const c = resolveConnection({}, { token: tokenOf("beta") }, { ...file, product: "alpha" });
    expect(c).toMatchObject({ token: tokenOf("beta"), product: "beta" });
  });

  it("lets an explicit product win over a lower layer's, and refuses one the token does not serve", () => {
    expect(resolveConnection({ product: "gamma" }, {}, { ...file, token: "ADMIN", product: "alpha" }).product).toBe(
      "gamma",
    );
    // A product token serves its own product only (test/unit/cli-token-product).
    expect(failure(() => resolveConnection({ product: "gamma" }, {}, file)).code).toBe("token_product_mismatch");
  });

  it("keeps the saved product for an admin token, which names none", () => {
    expect(resolveConnection({ token: "ADMIN" }, {}, { url: "http://f", product: "alpha" }).product).toBe("alpha");
  });

  it("asks for login when no URL or token is configured", () => {
    const e = failure(() => resolveConnection({}, {}, {}));
    expect(e.code).toBe("not_logged_in");
    expect(e.fix).toContain("gigafactory login");
  });

  it("asks for --product when an admin token comes without one", () => {
    expect(failure(() => resolveConnection({ url: "http://x", token: "ADMIN" }, {}, {})).code).toBe("product_required");
  });
});

describe("a malformed coordinator URL", () => {
  const BAD = ["notaurl", "127.0.0.1:18877", "http://[::1", "ftp://host"];

  it.each(BAD)("%s is bad_url (exit 2) naming its source, from a flag, the environment or the saved file", (bad) => {
    const given = { url: bad, token: "T" };
    const cases: Array<[Layer, Layer, Layer, string]> = [
      [given, {}, {}, "--url"],
      [{}, given, {}, "GIGAFACTORY_URL"],
      [{}, {}, given, "the saved config"],
    ];
    for (const [flags, env, file, source] of cases) {
      const e = failure(() => resolveConnection(flags, env, file, false));
      expect({ code: e.code, exit: e.exitCode, message: e.message }).toEqual({
        code: "bad_url",
        exit: 2,
        message: `"${bad}" (${source}) is not an http(s) URL${bad === "127.0.0.1:18877" ? '; did you mean "http://127.0.0.1:18877"?' : ""}`,
      });
    }
  });

  it.each([
    ["127.0.0.1:8787", "http://127.0.0.1:8787"],
    ["localhost:8787", "http://localhost:8787"],
    ["gf.example.com", "https://gf.example.com"],
    ["gf-box:8787/", "https://gf-box:8787/"],
  ])("%s, typed without its scheme, is told the URL it probably meant", (bad, meant) => {
    // It said only `is not an http(s) URL` (and `localhost:8787` parses as a URL whose scheme is `localhost:`).
    const e = failure(() => resolveConnection({ url: bad, token: "T" }, {}, {}, false));
    expect(e.message).toBe(`"${bad}" (--url) is not an http(s) URL; did you mean "${meant}"?`);
  });

  it("is refused the same way by every command and by login, whichever source gave it", async () => {
    const dir = testTempDir("gf-cli-config-");
    const saved = path.join(dir, "config.json");
    writeFileSync(saved, JSON.stringify({ url: "http://[::1", token: "T", product: "p" }), { mode: 0o600 });
    const runs = [
      await captureCli(["jobs", "--url", "notaurl", "--token", "T"]),
      await captureCli(["jobs"], { env: { GIGAFACTORY_URL: "127.0.0.1:18877", GIGAFACTORY_TOKEN: "T" } }),
      await captureCli(["jobs", "--url", "http://[::1", "--token", "T", "--product", "p"]),
      await captureCli(["watch", "job_1"], { env: { GIGAFACTORY_CONFIG: saved } }),
      await captureCli(["login", "--url", "notaurl", "--token", "T", "--product", "p"]),
    ];
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /^✘ ERROR bad_url: ".+" \(.+\) is not an http\(s\) URL(; did you mean ".+"\?)? \/ .+\n$/,
      );
    }
  });

  it("keeps a good URL as its origin and path, without trailing slashes", () => {
    expect(resolveConnection({ url: "http://h:8787/", token: "T", product: "p" }, {}, {}).url).toBe("http://h:8787");
    expect(resolveConnection({}, { url: "https://h/gf//", token: "T", product: "p" }, {}).url).toBe("https://h/gf");
  });
});

describe("environment and files", () => {
  it("reads GIGAFACTORY_* variables, treating empty ones as unset", () => {
    expect(envLayer({ GIGAFACTORY_URL: "http://e", GIGAFACTORY_TOKEN: "", GIGAFACTORY_PRODUCT: "p" })).toEqual({
      url: "http://e",
      product: "p",
    });
  });

  it("finds the file at $GIGAFACTORY_CONFIG, else under XDG_CONFIG_HOME, else ~/.config", () => {
    expect(configPath({ GIGAFACTORY_CONFIG: "/x/c.json", HOME: "/h" })).toBe("/x/c.json");
    expect(configPath({ XDG_CONFIG_HOME: "/xdg", HOME: "/h" })).toBe("/xdg/gigafactory/config.json");
    expect(configPath({ HOME: "/h" })).toBe("/h/.config/gigafactory/config.json");
  });

  it("writes the file readable by its owner only, also over an existing world-readable one, and reads it back", () => {
    const dir = testTempDir("gf-cli-config-");
    const file = path.join(dir, "nested", "config.json");
    writeConfigFile(file, { url: "http://a", token: "t1", product: "p" });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, "{}", { mode: 0o644 });
    writeConfigFile(file, { url: "http://b", token: "t2", product: "q" });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readConfigFile(file)).toEqual({ url: "http://b", token: "t2", product: "q" });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ url: "http://b", token: "t2", product: "q" });
  });

  it("treats a missing file as empty and a corrupt one as an error naming the file", () => {
    const dir = testTempDir("gf-cli-config-");
    expect(readConfigFile(path.join(dir, "absent.json"))).toEqual({});
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, "{not json");
    const e = failure(() => readConfigFile(bad));
    expect(e.code).toBe("config_invalid");
    expect(e.message).toContain(bad);
  });

  it("refuses a file that is not JSON without quoting its text, which holds the token", async () => {
    const file = path.join(testTempDir("gf-cli-config-"), "config.json");
    writeFileSync(file, `{"url": "http://127.0.0.1:2", "token": Zq7Ux-admin-9Xv2Lp-unquoted}`);
    const run = await captureCli(["jobs", "--product", "p"], { env: { GIGAFACTORY_CONFIG: file } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^✘ ERROR config_invalid: .*config\.json is not a valid config: .*not valid JSON /);
    expect(run.stderr).not.toMatch(/Zq7Ux|9Xv2Lp/);
  });
});

describe("login names what it lacks", () => {
  it("says which of --url and --token is missing, and exits 2 before any request", async () => {
    const env = { HOME: testTempDir("gf-login-") };
    const noToken = await captureCli(["login", "--url", "http://127.0.0.1:2"], { env });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/^✘ ERROR usage: login needs --token \(or GIGAFACTORY_TOKEN\): none was given/);
    const noUrl = await captureCli(["login", "--token", tokenOf("p")], { env });
    expect(noUrl.stderr).toMatch(/^✘ ERROR usage: login needs --url \(or GIGAFACTORY_URL\): none was given/);
    const neither = await captureCli(["login"], { env });
    expect(neither.stderr).toMatch(/login needs --url \(or GIGAFACTORY_URL\) and --token \(or GIGAFACTORY_TOKEN\)/);
  });
});
