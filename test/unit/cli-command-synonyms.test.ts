// An unknown command that is a word a newcomer types for a governor feature the CLI spells otherwise — `why` (the
// README's "why is it waiting" is `explain`), `breakers`, `webhook`, `spend`, `freeze`, `pause`, `quarantine`… — is
// refused (exit 2, nothing sent) with a fix naming the command that does it, where it said only `unknown command
// "why"` and the generic `gigafactory --help`; under --json the same fix in the error document. Every command a
// hint names is a real one (a renamed command cannot leave a stale hint), and a real command or a typo of one is
// never taken for a synonym. The price table's words (`prices`, `estimate`) name `settings set prices.…`, and a
// group's command typed without its group (`breaker-reset`, `rotate`) is told the full command (pass 51: "see
// `gigafactory --help`").
import { describe, expect, it } from "vitest";
import { COMMAND_SYNONYMS } from "../../src/cli/command-synonyms.ts";
import { COMMANDS } from "../../src/cli/registry.ts";
import { captureCli } from "../support/cli-harness.ts";

describe("unknown commands a newcomer types for a governor feature", () => {
  it.each([
    ["why", "gigafactory explain ID"],
    ["breakers", "gigafactory factories"],
    ["breaker", "gigafactory factory breaker-reset ID ENGINE"], // `gigafactory breaker reset …`
    ["webhook", "PUT /api/v1/products/P/webhook"],
    ["spend", "gigafactory budget"],
    ["freeze", "gigafactory serial freeze KEY --reason TEXT"],
    ["pause", "gigafactory budget pause"],
    ["quarantine", "gigafactory factory quarantine ID"],
    ["experiments", "gigafactory routing experiment show"],
    ["prices", "gigafactory settings set prices.ENGINE.usdPerMillionIn=N prices.ENGINE.usdPerMillionOut=N"],
    ["estimate", "gigafactory budget"],
  ])("`%s` names the command that does it (exit 2, --json too)", async (word, command) => {
    const r = await captureCli([word, "job_0"]);
    expect(r).toMatchObject({ code: 2, stdout: "" });
    const line = r.stderr.trim();
    expect(line).toMatch(new RegExp(`^✘ ERROR usage: unknown command "${word}" / `));
    expect(line.slice(line.indexOf(" / ") + 3)).toContain(command);
    const json = await captureCli([word, "--json"]);
    expect(json.code).toBe(2);
    const doc = JSON.parse(json.stdout) as { error: { code: string; fix: string; exitCode: number } };
    expect(doc.error).toMatchObject({ code: "usage", exitCode: 2 });
    expect(doc.error.fix).toContain(command);
  });

  it("names only commands that exist, and never shadows a command or a typo of one", () => {
    const commands = new Set(COMMANDS.map((c) => c.path.join(" ")));
    const firstWords = new Set(COMMANDS.map((c) => c.path[0]));
    for (const [word, hint] of Object.entries(COMMAND_SYNONYMS)) {
      expect(firstWords.has(word), word).toBe(false);
      for (const named of hint.commands) expect(commands.has(named), `${word} → ${named}`).toBe(true);
    }
  });

  it.each([
    ["breaker-reset", ["factory breaker-reset"]],
    ["rotate", ["factory rotate"]],
    ["revoke", ["enrollment-codes revoke", "factory revoke", "tokens revoke"]],
  ])("`%s`, a group's command typed without its group, is told the full command (exit 2, --json too)", async (word, full) => {
    const r = await captureCli([word, "fac_0", "sample"]);
    expect(r).toMatchObject({ code: 2, stdout: "" });
    const line = r.stderr.trim();
    expect(line).toMatch(new RegExp(`^✘ ERROR usage: unknown command "${word}"; did you mean `));
    for (const f of full) expect(line).toContain(`\`gigafactory ${f}\``);
    const json = await captureCli([word, "--json"]);
    expect(JSON.parse(json.stdout).error.message).toContain(`gigafactory ${full[0]}`);
  });

  it("a typo of a real command still gets its did-you-mean", async () => {
    const r = await captureCli(["alert"]);
    expect(r.stderr.trim()).toBe(
      '✘ ERROR usage: unknown command "alert"; did you mean "alerts"? / see `gigafactory --help`',
    );
  });
});
