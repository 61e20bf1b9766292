// The CLI's command-line parser: command words found wherever options sit, values checked, usage errors exit 2; an
// option written without its value is missing its value — the next option is never taken as it (`--note --json`
// is not a note "--json"), a value starting with - is written `--note=-x`, and a negative number stays a value;
// `gigafactory help CMD` is `gigafactory CMD --help` (an unknown CMD a usage error); a missing argument names only
// the ones not given, and a list past its cap (`submit` over 10,000 files) says so; `--version` prints the package
// version; an empty --url, --token or --product (an unset shell variable) is a usage error, never the saved config's
// value.
import { describe, expect, it } from "vitest";
import { type CommandSpec, matchCommand, parseCommandLine } from "../../src/cli/args.ts";
import { CliError } from "../../src/cli/errors.ts";
import { COMMANDS } from "../../src/cli/registry.ts";
import { captureCli } from "../support/cli-harness.ts";

const spec = (path: string[], args: CommandSpec["args"], options: CommandSpec["options"] = {}): CommandSpec => ({
  path,
  args,
  options,
  summary: path.join(" "),
});

const TABLE: CommandSpec[] = [
  spec(
    ["jobs"],
    { names: "", min: 0, max: 0 },
    {
      limit: { type: "string", int: { min: 1, max: 500 }, help: "" },
      stage: { type: "string", choices: ["queued", "shipped"], help: "" },
    },
  ),
  spec(["tokens"], { names: "", min: 0, max: 0 }),
  spec(["tokens", "revoke"], { names: "ID", min: 1, max: 1 }),
  spec(["factory", "drain"], { names: "ID", min: 1, max: 1 }),
  spec(["enroll"], { names: "NAME", min: 1, max: 1 }, { cap: { type: "string", multiple: true, help: "" } }),
  spec(["cancel"], { names: "ID", min: 1, max: 1 }, { note: { type: "string", help: "" } }),
];

function usage(argv: string[], table: readonly CommandSpec[] = TABLE): CliError {
  try {
    parseCommandLine(argv, table);
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error(`expected a usage error for ${argv.join(" ")}`);
}

describe("parseCommandLine: negative numbers", () => {
  it("takes -3 as a positional or an option's value, not as an unknown option", () => {
    const line = parseCommandLine(["cancel", "-3", "--note", "-0.5"], TABLE);
    expect(line.positionals).toEqual(["-3"]);
    expect(line.values.note).toBe("-0.5");
    expect(usage(["jobs", "--limit", "-3"]).message).toBe('--limit must be a whole number from 1 to 500; got "-3"');
    expect(usage(["jobs", "-x"]).message).toMatch(/Unknown option '-x'/);
  });
});

describe("parseCommandLine: an option without its value", () => {
  it.each([
    [["cancel", "job_1", "--note", "--json"], "--note needs a value (--json is an option;"],
    [["enroll", "b", "--cap", "--url", "http://x"], "--cap needs a value (--url is an option;"],
    [["jobs", "--stage", "-h"], "--stage needs a value (-h is an option;"],
    [["jobs", "--url", "--", "x"], "--url needs a value (-- ends the options;"],
    [["cancel", "job_1", "--note"], "--note needs a value"],
  ])("%j is a usage error naming the option", (argv, message) => {
    const e = usage(argv);
    expect({ code: e.code, exit: e.exitCode }).toEqual({ code: "usage", exit: 2 });
    expect(e.message.startsWith(message), e.message).toBe(true);
  });

  it("takes a dash value given as --flag=value, a lone - and a negative number", () => {
    expect(parseCommandLine(["cancel", "job_1", "--note=--json"], TABLE).values.note).toBe("--json");
    expect(parseCommandLine(["cancel", "job_1", "--note", "-"], TABLE).values.note).toBe("-");
    expect(parseCommandLine(["cancel", "job_1", "--note", "-3"], TABLE).values.note).toBe("-3");
    expect(parseCommandLine(["cancel", "--note", "x", "--", "--json"], TABLE).positionals).toEqual(["--json"]);
  });
});

// `--product "$P"` with P unset used the saved config's product (an empty flag fell through to the next layer, as an
// empty environment variable does): `settings set … --product ""` changed another product's settings.
describe("parseCommandLine: an empty --url, --token or --product", () => {
  it.each([
    [["jobs", "--product", ""], "--product"],
    [["jobs", "--url="], "--url"],
    [["cancel", "job_1", "--token", ""], "--token"],
    // Blanks alone: `fetch` strips them from a token's ends (an empty Bearer went out), a product " " was `/%20/`.
    [["jobs", "--token", "  "], "--token"],
    [["jobs", "--product= "], "--product"],
  ])("%j is a usage error, never the next layer's value", (argv, flag) => {
    const e = usage(argv);
    expect({ code: e.code, exit: e.exitCode }).toEqual({ code: "usage", exit: 2 });
    expect(e.message).toMatch(new RegExp(`^${flag} is empty \\(an unset shell variable\\?\\)`));
  });

  it("stops the command before any request, with the saved connection in the environment", async () => {
    const env = { GIGAFACTORY_URL: "http://127.0.0.1:2", GIGAFACTORY_TOKEN: "t", GIGAFACTORY_PRODUCT: "prod" };
    const r = await captureCli(["settings", "set", "preemption=true", "--product", ""], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^✘ ERROR usage: --product is empty/);
  });
});

describe("parseCommandLine", () => {
  it("finds the command words even when global options come first, and parses integers", () => {
    const p = parseCommandLine(["--json", "--url", "http://x", "jobs", "--limit", "20"], TABLE);
    expect(p.command?.path).toEqual(["jobs"]);
    expect(p.values).toMatchObject({ json: true, url: "http://x", limit: 20 });
    expect(p.positionals).toEqual([]);
  });

  it("prefers the longest matching command, so `tokens revoke ID` is not `tokens` with extra words", () => {
    expect(parseCommandLine(["tokens"], TABLE).command?.path).toEqual(["tokens"]);
    const p = parseCommandLine(["tokens", "revoke", "tok_1"], TABLE);
    expect(p.command?.path).toEqual(["tokens", "revoke"]);
    expect(p.positionals).toEqual(["tok_1"]);
  });

  it("keeps an option value that looks like a command word as the value", () => {
    const p = parseCommandLine(["cancel", "--note", "tokens", "job_1"], TABLE);
    expect(p.command?.path).toEqual(["cancel"]);
    expect(p.values.note).toBe("tokens");
    expect(p.positionals).toEqual(["job_1"]);
  });

  it("collects a repeatable option into a list", () => {
    const p = parseCommandLine(["enroll", "h1", "--cap", "os:linux", "--cap", "gpu"], TABLE);
    expect(p.values.cap).toEqual(["os:linux", "gpu"]);
  });

  it("rejects an out-of-range or non-numeric integer, naming the option, with exit code 2", () => {
    for (const bad of ["0", "501", "ten", "1.5"]) {
      const e = usage(["jobs", "--limit", bad]);
      expect(e.exitCode).toBe(2);
      expect(e.code).toBe("usage");
      expect(e.message).toContain("--limit");
    }
  });

  it("rejects a value outside the choices and lists them", () => {
    expect(usage(["jobs", "--stage", "done"]).message).toContain("queued, shipped");
  });

  it("rejects an option the command does not have, even if another command has it", () => {
    expect(usage(["tokens", "--limit", "3"]).message).toMatch(/limit/);
    expect(usage(["jobs", "--bogus"]).exitCode).toBe(2);
  });

  it("rejects missing and surplus positional arguments", () => {
    expect(usage(["cancel"]).message).toBe("missing ID");
    // Only what is missing: `artifact job_1` lacks NAME, not "ID NAME" (the ID was given).
    const real = (argv: string[]) => usage(argv, COMMANDS).message;
    expect(real(["artifact", "job_1"])).toBe("missing NAME");
    expect(real(["artifact"])).toBe("missing ID NAME");
    expect(real(["children", "job_1"])).toBe("missing FILE.json");
    expect(real(["budget", "set", "day"])).toBe("missing CEILING_USD");
    expect(usage(["cancel", "a", "b"]).message).toContain('unexpected argument "b"');
    expect(usage(["jobs", "extra"]).message).toContain('unexpected argument "extra"');
  });

  it("says a list argument is past its cap, not that its first file past it is unexpected", () => {
    const files = Array.from({ length: 10_001 }, (_, i) => `m${i}.md`);
    const e = usage(["submit", ...files], COMMANDS);
    expect([e.code, e.exitCode, e.message]).toEqual(["usage", 2, "10001 FILE.md… given; one run takes at most 10000"]);
    expect(e.fix).toContain("parts of at most 10000");
  });

  it("tells a command family without its verb which verbs exist", () => {
    expect(usage(["factory"]).message).toContain("factory drain");
    expect(usage(["launch"]).message).toBe('unknown command "launch"');
    // A typo names the command it is nearest (at most two edits away).
    expect(usage(["jbos"]).message).toBe('unknown command "jbos"; did you mean "jobs"?');
  });

  it("returns help instead of failing when --help is given, even without the required arguments", () => {
    const p = parseCommandLine(["cancel", "--help"], TABLE);
    expect(p.help).toBe(true);
    expect(p.command?.path).toEqual(["cancel"]);
    expect(parseCommandLine(["--help"], TABLE).command).toBeUndefined();
  });

  it("refuses options with no command word (exit 2) instead of printing the help and passing", () => {
    // `gigafactory --version` printed the overview and exited 0: a script that lost its command word passed.
    const unknown = usage(["--version"]);
    expect({ code: unknown.exitCode, message: unknown.message }).toEqual({
      code: 2,
      message: "Unknown option '--version'",
    });
    expect(usage(["--json", "--url", "http://x"]).message).toBe("missing command");
    expect(usage(["--stage", "queued"]).message).toBe("Unknown option '--stage'");
    expect(parseCommandLine([], TABLE).help).toBe(true); // bare `gigafactory`: the help (main exits 2 for it)
  });
});

describe("the real command table", () => {
  it("has no two commands with the same words and every option type agrees across commands", () => {
    const names = COMMANDS.map((c) => c.path.join(" "));
    expect(new Set(names).size).toBe(names.length);
    const types = new Map<string, string>();
    for (const c of COMMANDS) {
      for (const [name, o] of Object.entries(c.options)) {
        const t = `${o.type}${o.multiple ? "[]" : ""}`;
        expect(types.get(name) ?? t, `option --${name}`).toBe(t);
        types.set(name, t);
      }
    }
  });

  it("covers every command the operator guide names", () => {
    const names = new Set(COMMANDS.map((c) => c.path.join(" ")));
    for (const n of [
      "login",
      "submit",
      "jobs",
      "job",
      "watch",
      "explain",
      "requeue",
      "cancel",
      "ship",
      "approve",
      "reject",
      "factories",
      "factory drain",
      "factory quarantine",
      "factory activate",
      "factory approve",
      "factory rotate",
      "factory revoke",
      "factory rm",
      "enroll",
      "tokens",
      "tokens mint",
      "tokens revoke",
      "queue-state",
      "history",
    ]) {
      expect(names.has(n), n).toBe(true);
    }
    expect(matchCommand(COMMANDS, ["factory", "rm", "fac_1"])?.path).toEqual(["factory", "rm"]);
  });
});

describe("help as a command word", () => {
  it("`help jobs` prints what `jobs --help` prints, `help` alone the overview, both exit 0", async () => {
    const viaWord = await captureCli(["help", "serial", "freeze"]);
    expect(viaWord).toEqual(await captureCli(["serial", "freeze", "--help"]));
    expect(viaWord.code).toBe(0);
    expect(viaWord.stdout).toContain("--reason");
    const overview = await captureCli(["help"]);
    expect(overview).toMatchObject({ code: 0, stderr: "" });
    expect(overview.stdout).toEqual((await captureCli(["--help"])).stdout);
  });

  it("`help jbos` (or `jbos --help`) names the unknown command and exits 2, as `jbos` does", async () => {
    for (const argv of [
      ["help", "jbos"],
      ["jbos", "--help"],
    ]) {
      const r = await captureCli(argv);
      expect(r).toMatchObject({ code: 2, stdout: "" });
      expect(r.stderr.trim()).toBe(
        '✘ ERROR usage: unknown command "jbos"; did you mean "jobs"? / see `gigafactory --help`',
      );
    }
    expect((await captureCli(["help", "routing"])).code).toBe(0); // a family's own help stays
  });
});

describe("parseCommandLine: a family with a subcommand it lacks", () => {
  it.each([
    [["factory", "drian", "fac_1"], 'unknown command "factory drian"; did you mean "factory drain"?'],
    [
      ["routing", "experiment", "strat"],
      'unknown command "routing experiment strat"; did you mean "routing experiment start"?',
    ],
    [["factory", "frobnicate", "fac_1"], 'unknown command "factory frobnicate"; "factory" has: factory drain'],
    [["factory"], '"factory" needs a subcommand: factory drain'],
    [["frobnicate", "x"], 'unknown command "frobnicate"'],
  ])("%j names what was typed", (argv, message) => {
    const e = usage(argv, COMMANDS);
    expect(e.exitCode).toBe(2);
    expect(e.message.startsWith(message), e.message).toBe(true);
  });
});

describe("--version", () => {
  it("prints the package version on stdout and exits 0", async () => {
    const r = await captureCli(["--version"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(/^gigafactory \d+\.\d+\.\d+\n$/);
  });
});
