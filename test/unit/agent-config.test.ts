// Where the agent's settings come from: flags > env > config file > defaults, with errors that say how to fix them.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ENROLL_FLAGS, parseArgs, RUN_FLAGS, UsageError } from "../../src/agent/cli-args.ts";
import { resolveRunConfig, stateDirFrom } from "../../src/agent/config.ts";
import type { FixableError } from "../../src/shared/fixable-error.ts";

const TOKEN = `gf_acme_${"a".repeat(43)}`;
const tables = { enroll: ENROLL_FLAGS, run: RUN_FLAGS };
const defaults = { stateDir: "/s", hostname: "host1" };
const run = (argv: string[]) => parseArgs(["run", ...argv], tables).flags;

describe("parseArgs", () => {
  it("reads --flag value, --flag=value, repeated list flags and booleans", () => {
    expect(run(["--url", "http://u", "--seats=2", "--cap", "gpu", "--cap=region:eu", "--json"])).toEqual({
      url: "http://u",
      seats: "2",
      cap: ["gpu", "region:eu"],
      json: true,
    });
  });

  it("keeps '=' inside a value (engine templates)", () => {
    expect(run(["--engine", "x=node e.mjs --a=b"]).engine).toEqual(["x=node e.mjs --a=b"]);
    expect(run(["--engine=x=y"]).engine).toEqual(["x=y"]);
  });

  it("names an unknown command or flag instead of ignoring it", () => {
    expect(() => parseArgs(["runn"], tables)).toThrow(/unknown command "runn"/);
    expect(() => run(["--seat", "2"])).toThrow(/unknown flag --seat/);
    expect(() => parseArgs(["enroll", "--engine", "x=y"], tables)).toThrow(UsageError);
  });

  it("rejects a missing value, a value on a boolean and a stray argument", () => {
    expect(() => run(["--url"])).toThrow(/--url needs a value/);
    expect(() => run(["--json=yes"])).toThrow(/takes no value/);
    expect(() => run(["oops"])).toThrow(/unexpected argument/);
  });

  it("refuses a flag as the value of the one before it (a forgotten value), unless attached with =", () => {
    const enroll = (argv: string[]) => parseArgs(["enroll", ...argv], tables).flags;
    // `--code` used to take `--state-dir` as its value, leaving X a puzzling "unexpected argument".
    expect(() => enroll(["--url", "http://u", "--code", "--state-dir", "X"])).toThrow(
      /--code needs a value \(--state-dir is the next flag; a value starting with -- is --code=…\)/,
    );
    expect(() => run(["--url", "--token=gf_acme_secret"])).toThrow(/--url needs a value \(--token is the next flag/);
    expect(() => run(["--url", "--token=gf_acme_secret"])).not.toThrow(/secret/);
    expect(run(["--name=--odd", "--engine=x=y"])).toEqual({ name: "--odd", engine: ["x=y"] });
    expect(run(["--name", "-one-dash"]).name).toBe("-one-dash");
  });

  it("recognises help", () => {
    expect(parseArgs(["--help"], tables)).toEqual({ command: undefined, flags: { help: true } });
    expect(parseArgs([], tables)).toEqual({ command: undefined, flags: {} });
    expect(run(["-h"]).help).toBe(true);
  });
});

describe("stateDirFrom", () => {
  it("prefers --state-dir, then GIGAFACTORY_AGENT_STATE, then ~/.gigafactory-agent", () => {
    expect(stateDirFrom({ "state-dir": "/a" }, { GIGAFACTORY_AGENT_STATE: "/b" }, "/home/u")).toBe(path.resolve("/a"));
    expect(stateDirFrom({}, { GIGAFACTORY_AGENT_STATE: "/b" }, "/home/u")).toBe(path.resolve("/b"));
    expect(stateDirFrom({}, {}, "/home/u")).toBe(path.resolve("/home/u/.gigafactory-agent"));
  });
});

describe("resolveRunConfig", () => {
  const file = { url: "http://file", product: "fileprod", token: "tok-file", factoryId: "fac_1", name: "fname" };
  const env = { GIGAFACTORY_URL: "http://env", GIGAFACTORY_PRODUCT: "envprod", GIGAFACTORY_FACTORY_TOKEN: "tok-env" };

  it("flags win over env, env over the config file", () => {
    const flags = run(["--url", "http://flag/", "--token", "tok-flag"]);
    const c = resolveRunConfig(flags, env, file, defaults);
    expect(c).toMatchObject({
      url: "http://flag",
      token: "tok-flag",
      product: "envprod",
      factoryId: "fac_1",
      name: "fname",
    });
    expect(resolveRunConfig({}, {}, file, defaults)).toMatchObject({
      url: "http://file",
      product: "fileprod",
      token: "tok-file",
    });
    expect(resolveRunConfig({}, env, file, defaults)).toMatchObject({ url: "http://env", token: "tok-env" });
  });

  it("sends the config file's token only to the config file's origin: another --url or GIGAFACTORY_URL is refused", () => {
    const issued = { ...file, url: "https://gf.example.com/base" };
    const where = { ...defaults, configFile: "/s/config.json" };
    const refusal = (flags: ReturnType<typeof run>, e: Record<string, string> = {}) => {
      try {
        resolveRunConfig(flags, e, issued, where);
      } catch (err) {
        return err as FixableError;
      }
      return undefined;
    };
    // A typo'd host, another port, another scheme: each another origin.
    for (const url of ["https://gf.exampel.com", "https://gf.example.com:8443", "http://gf.example.com"]) {
      expect(refusal(run(["--url", url])), url).toMatchObject({
        code: "token_other_origin",
        exitCode: 2,
        message: `the token in /s/config.json was issued for https://gf.example.com, not ${new URL(url).origin} (--url)`,
        fix: `pass --token for ${new URL(url).origin}, or update "url" in /s/config.json if the coordinator moved`,
      });
    }
    expect(refusal({}, { GIGAFACTORY_URL: "https://stranger.test" })).toMatchObject({
      code: "token_other_origin",
      message: expect.stringContaining("not https://stranger.test (GIGAFACTORY_URL)"),
    });
    // The same origin (any case, the default port, another path) is the coordinator the token was issued for.
    expect(refusal(run(["--url", "HTTPS://GF.Example.com:443/"]))).toBeUndefined();
    // A token given explicitly goes where the operator says.
    expect(refusal(run(["--url", "https://other.test", "--token", "tok-flag"]))).toBeUndefined();
    expect(refusal(run(["--url", "https://other.test"]), { GIGAFACTORY_FACTORY_TOKEN: "tok-env" })).toBeUndefined();
  });

  it("says where the seats came from, for the warning when they are over the factory's seat limit", () => {
    expect(resolveRunConfig(run(["--seats", "2"]), {}, { ...file, seats: 1 }, defaults)).toMatchObject({
      seats: 2,
      seatsFrom: "--seats",
    });
    expect(resolveRunConfig({}, {}, { ...file, seats: 3 }, defaults).seatsFrom).toBe("the config file's seats");
    expect(resolveRunConfig({}, {}, file, defaults).seatsFrom).toBeUndefined();
  });

  it("has defaults: 1 seat, 30 s checkpoints and drain, work dir (checkpoint remote in it) beside the state dir", () => {
    const c = resolveRunConfig({}, {}, file, defaults);
    expect(c).toMatchObject({
      seats: 1,
      checkpointIntervalMs: 30_000,
      drainTimeoutMs: 30_000,
      leaseTtlSeconds: undefined,
      workDir: path.resolve("/s-work"),
      checkpointRemote: path.resolve("/s-work/checkpoints.git"),
      keepWorkspaces: false,
      json: false,
      engineUserName: undefined,
      engineEnv: [],
      allowLocalRepos: false,
    });
    expect(resolveRunConfig({}, {}, { ...file, name: undefined }, defaults).name).toBe("host1");
  });

  it("refuses a work dir inside the state dir (or around it): engines work in the one, the token lives in the other", () => {
    for (const dir of ["/s/work", "/s", "/"]) {
      expect(() => resolveRunConfig(run(["--work-dir", dir]), {}, file, defaults)).toThrow(
        expect.objectContaining({ code: "work_dir_in_state_dir" }),
      );
    }
    expect(resolveRunConfig(run(["--work-dir", "/w"]), {}, file, defaults).workDir).toBe(path.resolve("/w"));
  });

  it("takes --engine-user, --engine-env and --allow-local-repos, refusing GIGAFACTORY_ names for engines", () => {
    const argv = ["--engine-user", "gf-engine", "--engine-env", "AWS_PROFILE", "--allow-local-repos"];
    expect(resolveRunConfig(run(argv), {}, file, defaults)).toMatchObject({
      engineUserName: "gf-engine",
      engineEnv: ["AWS_PROFILE"],
      allowLocalRepos: true,
    });
    expect(() => resolveRunConfig(run(["--engine-env", "GIGAFACTORY_FACTORY_TOKEN"]), {}, file, defaults)).toThrow(
      expect.objectContaining({ code: "usage" }),
    );
  });

  it("reads the product from a factory token when none is given", () => {
    expect(resolveRunConfig(run(["--url", "http://u", "--token", TOKEN]), {}, {}, defaults).product).toBe("acme");
  });

  it("merges engines: config file first, --engine flags override by name", () => {
    const c = resolveRunConfig(
      run(["--engine", "claude=claude -p --x", "--engine", "mine=./m"]),
      {},
      { ...file, engines: { claude: "claude -p", z: "z" } },
      defaults,
    );
    expect(c.engines).toEqual({ claude: "claude -p --x", z: "z", mine: "./m" });
  });

  it("parses numeric flags, including fractional checkpoint intervals for tests", () => {
    const c = resolveRunConfig(
      run([
        "--seats",
        "3",
        "--checkpoint-interval",
        "0.5",
        "--drain-timeout",
        "0",
        "--lease-ttl",
        "5",
        "--work-dir",
        "/w",
      ]),
      {},
      file,
      defaults,
    );
    expect(c).toMatchObject({ seats: 3, checkpointIntervalMs: 500, drainTimeoutMs: 0, leaseTtlSeconds: 5 });
    expect(c.checkpointRemote).toBe(path.resolve("/w/checkpoints.git"));
  });

  it("explains what is missing or wrong, with a fix", () => {
    const err = (f: () => unknown): FixableError => {
      try {
        f();
      } catch (e) {
        return e as FixableError;
      }
      throw new Error("expected a FixableError");
    };
    expect(err(() => resolveRunConfig({}, {}, {}, defaults))).toMatchObject({
      code: "not_logged_in",
      fix: expect.stringMatching(/--url/),
    });
    expect(err(() => resolveRunConfig(run(["--url", "http://u"]), {}, {}, defaults)).code).toBe("not_logged_in");
    expect(err(() => resolveRunConfig(run(["--url", "http://u", "--token", "t"]), {}, {}, defaults)).code).toBe(
      "product_required",
    );
    expect(err(() => resolveRunConfig(run(["--url", "ftp://u"]), {}, file, defaults)).code).toBe("bad_url");
    expect(err(() => resolveRunConfig(run(["--seats", "0"]), {}, file, defaults)).code).toBe("usage");
    expect(err(() => resolveRunConfig(run(["--seats", "1.5"]), {}, file, defaults)).code).toBe("usage");
    expect(err(() => resolveRunConfig(run(["--lease-ttl", "2"]), {}, file, defaults)).code).toBe("usage");
    expect(err(() => resolveRunConfig(run(["--engine", "noequals"]), {}, file, defaults)).code).toBe("bad_engine");
  });
});
