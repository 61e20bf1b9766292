// The `✘ ERROR code: what / fix` line (shared/fixable-error `errorLine`) is one line that a terminal shows as written,
// in every program that prints it (the CLI, the agent, `npm start`): a bidi control in a server's detail (U+202E)
// showed the rest of the line, the fix included, reversed; a bare CR, U+2028 or NEL in it started the line again or
// broke it; an ESC acted. Each line break is now a space, each control a picture, each bidi control U+FFFD — and the
// CLI's --json error document still carries the server's detail as sent.
import { describe, expect, it } from "vitest";
import { errorLine } from "../../src/shared/fixable-error.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const ANY_BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe("errorLine", () => {
  it("shows a bidi control in the message, fix or code as U+FFFD", () => {
    const line = errorLine({
      code: "conflict\u202e",
      message: "job \u202eevil\u202c is busy",
      fix: "retry \u2067x\u2069",
    });
    expect(line).toBe("✘ ERROR conflict\ufffd: job \ufffdevil\ufffd is busy / retry \ufffdx\ufffd");
  });

  it("folds every line break into a space and shows any other control as its picture", () => {
    const line = errorLine({ code: "c\nd", message: "a\rb\u2028c\u0085d\u2029e\vf\fg", fix: "x\u001b[2Jy" });
    expect(line).toBe("✘ ERROR c d: a b c d e f g / x␛[2Jy");
  });
});

describe("a CLI failure", () => {
  const detail = "job \u202etsoh\u202c is busy\rall good";

  it("prints the server's detail on one line the terminal shows in order", async () => {
    const stub = await stubCoordinator((_req, reply) =>
      reply.problem(409, { type: "about:blank", title: "Conflict", status: 409, code: "conflict", detail }),
    );
    const r = await captureCli(["cancel", "job_1", ...connection(stub.url, "p")]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(ANY_BIDI);
    expect(r.stderr.split("\n")).toEqual([
      expect.stringMatching(/^✘ ERROR conflict: job \ufffdtsoh\ufffd is busy all good \/ /),
      "",
    ]);
  });

  it("keeps the detail as sent in the --json error document", async () => {
    const stub = await stubCoordinator((_req, reply) =>
      reply.problem(409, { type: "about:blank", title: "Conflict", status: 409, code: "conflict", detail }),
    );
    const r = await captureCli(["cancel", "job_1", "--json", ...connection(stub.url, "p")]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toBe(detail);
  });
});
