// The `✘ ERROR code: what / fix` line (shared/fixable-error `errorLine`) is one line that a terminal shows as written,
// in every program that prints it (the CLI, the agent, `npm start`): a bidi control in a server's detail (U+202E)
// showed the rest of the line, the fix included, reversed; a bare CR, U+2028 or NEL in it started the line again or
// broke it; an ESC acted. Each line break is now a space, each control a picture, each bidi control U+FFFD — and the
// CLI's --json error document still carries the server's detail as sent. The line's first " / " is where the fix
// starts: a detail's own " / " (`body.a / body.b`) is written " ∕ " (U+2215) in the line — it put the fix in the
// middle of the detail, to a person and to a script splitting the line at it — and kept as sent under --json.
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

  it("leaves one ' / ' before the fix: the message's own are written ' ∕ ', the fix's kept", () => {
    const line = errorLine({ code: "conflict", message: "a / b / / c /d e/ f", fix: "check --url / GIGAFACTORY_URL" });
    expect(line).toBe("✘ ERROR conflict: a \u2215 b \u2215 \u2215 c /d e/ f / check --url / GIGAFACTORY_URL");
    const [, what, fix] = /^✘ ERROR \w+: (.*?) \/ (.*)$/.exec(line) ?? [];
    expect([what, fix]).toEqual(["a ∕ b ∕ ∕ c /d e/ f", "check --url / GIGAFACTORY_URL"]);
  });

  it("writes a ' /' that ends the message, or a '/ ' that starts it, as ' ∕' too: the line's first ' / ' is the fix's", () => {
    for (const message of ["sent to /", "/ was refused", "/", "a /\nb"]) {
      const line = errorLine({ code: "x", message, fix: "do it / or this" });
      expect(line.slice(line.indexOf(" / ") + 3), message).toBe("do it / or this");
    }
    // A message with no ' / ' reads as it came.
    expect(errorLine({ code: "x", message: "a/b c", fix: "f" })).toBe("✘ ERROR x: a/b c / f");
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

  it("writes a detail's own ' / ' apart from the fix's separator, and keeps it under --json", async () => {
    const said = "body.ceilingUsd / body.period: pick one";
    const stub = await stubCoordinator((_req, reply) =>
      reply.problem(409, { type: "about:blank", title: "Conflict", status: 409, code: "conflict", detail: said }),
    );
    const r = await captureCli(["cancel", "job_1", ...connection(stub.url, "p")]);
    expect(r.stderr).toMatch(/^✘ ERROR conflict: body\.ceilingUsd \u2215 body\.period: pick one \/ the target is in /);
    const json = await captureCli(["cancel", "job_1", "--json", ...connection(stub.url, "p")]);
    expect(JSON.parse(json.stdout).error.message).toBe(said);
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
