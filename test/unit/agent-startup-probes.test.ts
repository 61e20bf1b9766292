// The agent's start-up probes are bounded: a `getent` that never answers (NSS over an unreachable LDAP) and an
// engine-access check stuck on a hung mount each end within their bound with a message saying what hung, instead
// of holding the agent's start for good (or reading as "no such user" / "cannot reach").
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { engineAccessProblem, lookupUser, type RunAs } from "../../src/agent/engine-user.ts";
import { FixableError } from "../../src/shared/fixable-error.ts";

const bin = mkdtempSync(path.join(tmpdir(), "gf-probe-bin-"));
const hung = mkdtempSync(path.join(tmpdir(), "gf-probe-hung-"));
const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});
afterAll(() => {
  rmSync(bin, { recursive: true, force: true });
  rmSync(hung, { recursive: true, force: true });
});

/** A stand-in for `name` on PATH that never answers (exec'd, so the bound's SIGKILL reaches it). */
function hangingOnPath(dir: string, name: string): void {
  writeFileSync(path.join(dir, name), "#!/bin/sh\nexec sleep 30\n");
  chmodSync(path.join(dir, name), 0o755);
  process.env.PATH = `${dir}:${savedPath}`;
}

const self: RunAs = { name: "me", uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, home: "/" };

describe("start-up probes", () => {
  it("a getent that never answers is engine_user_lookup within the bound, not 'no such user'", () => {
    hangingOnPath(bin, "getent");
    let thrown: unknown;
    try {
      lookupUser("nobody", 300);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(FixableError);
    expect((thrown as FixableError).code).toBe("engine_user_lookup");
    expect((thrown as Error).message).toContain("did not answer within 0.3 s");
  });

  it("a getent that answers 'no entry' is still undefined", () => {
    expect(lookupUser("gf-no-such-user-anywhere")).toBeUndefined();
  });

  it("an engine-access check that hangs says which check, within the bound", () => {
    hangingOnPath(hung, "sh");
    const problem = engineAccessProblem(self, bin, [], 300);
    expect(problem).toContain("did not finish within 0.3 s");
    expect(problem).toContain(bin);
  });

  it("a reachable work dir and command pass", () => {
    expect(engineAccessProblem(self, bin, ["/bin/sh"])).toBeUndefined();
  });
});
