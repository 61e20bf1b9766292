// `npm start` / `npm run dev` on a local state directory they cannot use (GIGAFACTORY_LOCAL_STATE naming a file, a
// lock path taken by a directory) refuse with `state_dir_unusable`, naming the directory and the variable to change
// (scripts/start-preflight lockState); it used to surface as `start_failed: EEXIST …` advising `npm install`.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCK_FILE, lockState } from "../../scripts/start-preflight.ts";
import { errorLine, FixableError } from "../../src/shared/fixable-error.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-state-dir-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What lockState threw for `dir`, as the ✘ ERROR line a start prints; "taken" when it took the lock. */
function refusal(dir: string): string {
  try {
    lockState(dir)();
    return "taken";
  } catch (err) {
    expect(err).toBeInstanceOf(FixableError);
    return errorLine(err as FixableError);
  }
}

describe("a local state directory a start cannot use", () => {
  it("a file where the directory should be: state_dir_unusable, naming it and GIGAFACTORY_LOCAL_STATE", () => {
    const file = path.join(root, "a-file");
    writeFileSync(file, "not a directory");
    const line = refusal(file);
    expect(line).toMatch(/^✘ ERROR state_dir_unusable: cannot keep the local state in .+a-file: EEXIST.* \/ point /);
    expect(line).toContain("GIGAFACTORY_LOCAL_STATE");
  });

  it("a directory where the lock file should be: state_dir_unusable, and the directory is left as it was", () => {
    const dir = path.join(root, "lock-is-a-dir");
    mkdirSync(path.join(dir, LOCK_FILE), { recursive: true });
    expect(refusal(dir)).toMatch(/^✘ ERROR state_dir_unusable: cannot keep the local state in .+lock-is-a-dir: /);
    expect(statSync(path.join(dir, LOCK_FILE)).isDirectory()).toBe(true);
  });

  it("a usable directory is taken, and released", () => {
    expect(refusal(path.join(root, "fine"))).toBe("taken");
    expect(refusal(path.join(root, "fine"))).toBe("taken");
  });
});
