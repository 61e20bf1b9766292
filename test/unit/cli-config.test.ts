// Where the CLI's connection comes from: flags over environment over the saved file, and the file kept private.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { configPath, envLayer, readConfigFile, resolveConnection, writeConfigFile } from "../../src/cli/config.ts";
import { CliError } from "../../src/cli/errors.ts";

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
    expect(resolveConnection({}, { url: "http://env" }, file).url).toBe("http://env");
    expect(resolveConnection({ url: "http://flag" }, { url: "http://env" }, file).url).toBe("http://flag");
  });

  it("infers the product from the token of the layer that supplied it, not from a stale file", () => {
    const c = resolveConnection({}, { token: tokenOf("beta") }, { ...file, product: "alpha" });
    expect(c).toMatchObject({ token: tokenOf("beta"), product: "beta" });
  });

  it("lets an explicit product win over one inferred from a lower layer's token", () => {
    expect(resolveConnection({ product: "gamma" }, {}, file).product).toBe("gamma");
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
    const dir = mkdtempSync(path.join(tmpdir(), "gf-cli-config-"));
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
    const dir = mkdtempSync(path.join(tmpdir(), "gf-cli-config-"));
    expect(readConfigFile(path.join(dir, "absent.json"))).toEqual({});
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, "{not json");
    const e = failure(() => readConfigFile(bad));
    expect(e.code).toBe("config_invalid");
    expect(e.message).toContain(bad);
  });
});
