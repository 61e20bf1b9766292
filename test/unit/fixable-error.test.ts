// One failure class and one printer for every program (shared/fixable-error): the agent's config and enrollment
// failures, `npm start`'s refusals and the CLI's errors are all FixableError, carry their exit code, and print as
// `✘ ERROR code: what / fix` through `errorLine` — one line, a server's newlines folded, secrets hidden
// (shared/redact-secrets); a tool's output or a stack keeps its further lines below the `✘ ERROR` line
// (`errorText`, `failureText`).
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { assertPortFree, startFailureText } from "../../scripts/start-preflight.ts";
import { resolveRunConfig } from "../../src/agent/config.ts";
import { CliError, formatError, usageError } from "../../src/cli/errors.ts";
import { errorLine, errorText, FixableError, failureText } from "../../src/shared/fixable-error.ts";

describe("FixableError and errorLine", () => {
  it("prints `✘ ERROR code: what / fix`, exiting 1 unless told otherwise", () => {
    const e = new FixableError("state_in_use", "another start holds it", "stop it");
    expect(e).toBeInstanceOf(Error);
    expect(e.exitCode).toBe(1);
    expect(errorLine(e)).toBe("✘ ERROR state_in_use: another start holds it / stop it");
    expect(new FixableError("usage", "x", "y", 2).exitCode).toBe(2);
  });

  it("folds the newlines of a server's detail into one line", () => {
    const e = new FixableError("conflict", "first\n   second  \nthird", "retry\nlater");
    expect(errorLine(e)).toBe("✘ ERROR conflict: first second third / retry later");
  });

  it("never prints a token or an enrollment code, in any program's ✘ ERROR line", () => {
    const secret = "k".repeat(43);
    const e = new CliError("unauthorized", `token gf_acme_${secret} refused`, `ask for a new gfe_acme_${secret}`);
    expect(formatError(e)).toBe("✘ ERROR unauthorized: token gf_acme_… refused / ask for a new gfe_acme_…");
    expect(failureText(new Error(`Bearer ${secret}`), "c", "f")).not.toContain(secret);
  });

  it("keeps the further lines of a tool's output or a stack below the ✘ ERROR line", () => {
    expect(errorText({ code: "internal", message: "Error: boom\n    at f (x.ts:1)", fix: "report it" })).toBe(
      "✘ ERROR internal: Error: boom / report it\n    at f (x.ts:1)",
    );
  });

  it("failureText: a FixableError as its own line, anything else under the caller's code and fix", () => {
    const refusal = new FixableError("port_in_use", "127.0.0.1:1 is in use", "choose another port");
    expect(failureText(refusal, "start_failed", "npm install")).toBe(errorLine(refusal));
    expect(failureText(new Error("bundle failed\nline 2"), "start_failed", "npm install")).toBe(
      "✘ ERROR start_failed: bundle failed / npm install\nline 2",
    );
    expect(failureText("plain", "c", "f")).toBe("✘ ERROR c: plain / f");
  });
});

describe("one class everywhere", () => {
  it("the agent's config errors are FixableErrors that exit 2", () => {
    const e = (() => {
      try {
        resolveRunConfig({}, {}, {}, { stateDir: "/s", hostname: "h" });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(FixableError);
    expect(e).toMatchObject({ code: "not_logged_in", exitCode: 2 });
  });

  it("the CLI's errors are FixableErrors printed by errorLine", () => {
    const e = usageError("no such command");
    expect(e).toBeInstanceOf(FixableError);
    expect(e).toBeInstanceOf(CliError);
    expect(e.exitCode).toBe(2);
    expect(formatError(e)).toBe(errorLine(e));
    expect(formatError(new CliError("x", "a\nb", "c"))).toBe("✘ ERROR x: a b / c");
  });

  it("npm start's refusal of a used port is a FixableError, printed as its own line", async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const port = (busy.address() as { port: number }).port;
    try {
      const err = await assertPortFree(port).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(FixableError);
      expect(err).toMatchObject({ code: "port_in_use", exitCode: 2 });
      expect(startFailureText(err, "start_failed", "npm install")).toMatch(
        /^✘ ERROR port_in_use: 127\.0\.0\.1:\d+ is in use/,
      );
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });
});
