// `gigafactory CMD --help --json` and `gigafactory --help --json` print the help as one JSON document (scripts and
// shell completion read it), where they printed the text help: `{command, summary, usage, options: [{name, value?,
// repeatable, description, choices?}], commands?, globalOptions}` for a command, `{title, usage, commands: [{command,
// arguments?, summary}], globalOptions, details}` for the overview and a family. For EVERY command the JSON is the
// command's spec (cli/args table) and the text help shows exactly what the JSON says — each option row, each command
// under it, nothing more — so the two cannot disagree. Help under --json exits 0 with nothing on stderr.
import { describe, expect, it } from "vitest";
import type { CommandSpec } from "../../src/cli/args.ts";
import { GLOBAL_OPTIONS } from "../../src/cli/args.ts";
import { COMMANDS } from "../../src/cli/registry.ts";
import { captureCli } from "../support/cli-harness.ts";

interface Option {
  name: string;
  short?: string;
  value?: string;
  repeatable: boolean;
  description: string;
  choices?: string[];
}
interface Row {
  command: string;
  arguments?: string;
  summary: string;
}

/** The rows of the text section headed `title` (up to the next blank line), without their two-space indent. */
function section(text: string, title: string): string[] {
  const lines = text.split("\n");
  const at = lines.indexOf(title);
  if (at < 0) return [];
  const end = lines.indexOf("", at);
  return lines.slice(at + 1, end < 0 ? undefined : end).map((l) => l.slice(2));
}

/** A text row `LEFT  RIGHT` split at its padding: the left part, then the right (the first run of 2+ spaces). */
function cells(row: string): [string, string] {
  const m = /^(\S(?:.*?\S)?) {2,}(.*)$/.exec(row);
  return m ? [m[1] ?? "", m[2] ?? ""] : [row, ""];
}

/** What the test expects an option to show, written here apart from cli/help so a slip in either is seen. */
function optionRow(o: Option): [string, string] {
  const flag = `${o.short ? `${o.short}, ` : ""}${o.name}${o.value ? ` ${o.value}` : ""}${o.repeatable ? "…" : ""}`;
  return [flag, `${o.description}${o.choices ? ` (${o.choices.join("|")})` : ""}`];
}

/** The options as the spec table says them. */
function specOptions(options: CommandSpec["options"]): Option[] {
  return Object.entries(options).map(([name, o]) => ({
    name: `--${name}`,
    ...(o.short ? { short: `-${o.short}` } : {}),
    ...(o.value ? { value: o.value } : {}),
    repeatable: o.multiple === true,
    description: o.help,
    ...(o.choices ? { choices: [...o.choices] } : {}),
  }));
}

const rowOf = (c: CommandSpec): Row => ({
  command: c.path.join(" "),
  ...(c.args.names ? { arguments: c.args.names } : {}),
  summary: c.summary,
});

async function helpJson(argv: string[]): Promise<Record<string, unknown>> {
  const run = await captureCli([...argv, "--help", "--json"]);
  expect(run.code, argv.join(" ")).toBe(0);
  expect(run.stderr, argv.join(" ")).toBe("");
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe("--help --json", () => {
  it("every command's JSON is its spec, and its text help shows exactly that", async () => {
    for (const c of COMMANDS) {
      const name = c.path.join(" ");
      const doc = await helpJson([...c.path]);
      const under = COMMANDS.filter((s) => s.path.length > c.path.length && c.path.every((w, i) => s.path[i] === w));
      expect(doc.command, name).toBe(name);
      expect(doc.summary, name).toBe(c.summary);
      expect(doc.options, name).toEqual(specOptions(c.options));
      expect(doc.globalOptions, name).toEqual(specOptions(GLOBAL_OPTIONS));
      expect(doc.commands, name).toEqual(under.length > 0 ? under.map(rowOf) : undefined);
      expect(doc.details, name).toEqual(c.details?.length ? c.details : undefined);

      const text = (await captureCli([...c.path, "--help"])).stdout;
      expect(text.split("\n")[0], name).toBe(`Usage: ${doc.usage}`);
      expect(text, name).toContain(`\n\n${c.summary}\n`);
      expect(section(text, "Options:").map(cells), name).toEqual((doc.options as Option[]).map(optionRow));
      expect(section(text, "Global options:").map(cells), name).toEqual((doc.globalOptions as Option[]).map(optionRow));
      const rows = ((doc.commands ?? []) as Row[]).map((r) => [
        `${r.command}${r.arguments ? ` ${r.arguments}` : ""}`,
        r.summary,
      ]);
      expect(section(text, "Commands:").map(cells), name).toEqual(rows);
      for (const line of c.details ?? []) expect(text, name).toContain(line);
    }
  });

  it("the overview lists every command, as its text does, and a family only its own", async () => {
    const doc = await helpJson([]);
    expect(doc.commands).toEqual(COMMANDS.map(rowOf));
    expect(doc.globalOptions).toEqual(specOptions(GLOBAL_OPTIONS));
    const text = (await captureCli(["--help"])).stdout;
    expect(section(text, "Commands:").map(cells)).toEqual(
      (doc.commands as Row[]).map((r) => [`${r.command}${r.arguments ? ` ${r.arguments}` : ""}`, r.summary]),
    );
    for (const line of doc.details as string[]) expect(text).toContain(line);
    expect(text.startsWith(`${doc.title}\n\nUsage: ${doc.usage}\n`)).toBe(true);

    const family = await helpJson(["factory"]);
    expect(family.usage).toBe("gigafactory factory <command> [options]");
    expect(family.commands).toEqual(COMMANDS.filter((c) => c.path[0] === "factory").map(rowOf));
    // `help jobs --json` is `jobs --help --json`, as without --json.
    expect(await helpJson(["help", "jobs"])).toEqual(await helpJson(["jobs"]));
  });

  it("an unknown command under --help --json is still a usage error, as a JSON error document", async () => {
    const run = await captureCli(["jbos", "--help", "--json"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "usage" } });
  });
});
