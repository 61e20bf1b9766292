// A command that heads a family lists the family in its help (cli/help `commandHelp`): `budget --help` showed only
// the bare `budget` (a read), so a newcomer asking how to set a budget never learned of `budget set`, `pause` or
// `resume` — nor `tokens --help` of `tokens mint`. Every such command's help names each command under it, with its
// arguments, and a leaf command's help lists none; `help budget` prints the same.
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/registry.ts";
import { captureCli } from "../support/cli-harness.ts";

describe("a family's head command", () => {
  it("`budget --help` names set, pause and resume with their arguments, and exits 0", async () => {
    const r = await captureCli(["budget", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Commands:$/m);
    expect(r.stdout).toMatch(/^ {2}budget set PERIOD CEILING_USD +set the budget/m);
    expect(r.stdout).toMatch(/^ {2}budget pause +pause dispatch/m);
    expect(r.stdout).toMatch(/^ {2}budget resume +lift one pause/m);
    expect((await captureCli(["help", "budget"])).stdout).toBe(r.stdout);
  });

  it("every command with commands under it lists each of them; a leaf lists none", async () => {
    for (const c of COMMANDS) {
      const under = COMMANDS.filter((s) => s.path.length > c.path.length && c.path.every((w, i) => s.path[i] === w));
      const { stdout } = await captureCli([...c.path, "--help"]);
      if (under.length === 0) expect(stdout, c.path.join(" ")).not.toMatch(/^Commands:$/m);
      for (const s of under) expect(stdout, c.path.join(" ")).toContain(`  ${s.path.join(" ")}`);
    }
  });
});
