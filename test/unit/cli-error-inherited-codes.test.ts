// A problem whose `code` (or not_found `what`) names a property every object inherits — "constructor", "toString",
// "__proto__" — is reported like any unknown code: one `✘ ERROR` line with the generic fix, exit 1, and the --json
// error document. Looked up by plain index, its fix was a function, and printing it threw from cli/run's own catch
// (`TypeError: s.split is not a function` with a stack trace, no error document), though runCli never throws.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const PROBLEMS = [
  { status: 409, code: "constructor" },
  { status: 409, code: "toString" },
  { status: 409, code: "__proto__" },
  { status: 404, code: "not_found", what: "constructor" },
  { status: 404, code: "not_found", what: "hasOwnProperty" },
];

describe("a problem code that is an inherited property name", () => {
  for (const p of PROBLEMS) {
    it(`${p.code}${p.what ? ` (what: ${p.what})` : ""} is one ✘ ERROR line and a --json error document`, async () => {
      const stub = await stubCoordinator((_req, reply) =>
        reply.problem(p.status, { type: "about:blank", title: "t", detail: "refused", ...p }),
      );
      const human = await captureCli(["cancel", "job_1", ...connection(stub.url, "p")]);
      expect(human.code).toBe(1);
      expect(human.stderr).toMatch(/^✘ ERROR \w+: refused \/ [^\n]+\n$/);
      expect(human.stderr).not.toMatch(/function|native code/);
      const json = await captureCli(["cancel", "job_1", "--json", ...connection(stub.url, "p")]);
      expect(json.code).toBe(1);
      expect(typeof JSON.parse(json.stdout).error.fix).toBe("string");
    });
  }
});
