// After a lock clash git names the lock it could not take ("Unable to create '<path>.lock': File exists"), and the
// agent removes it when it is stale and lies in one of its own repositories (agent/stale-locks `clearNamedStaleLock`,
// a mirror or the checkpoint remote). An engine writes a mirror's refs: a directory there made a link to a project
// dir outside the sandbox (`refs/remotes/origin` → the project) had git — for an origin branch named `Cargo` — name
// `…/refs/remotes/origin/Cargo.lock`, which the path check took for the mirror's, and the agent, outside the sandbox,
// removed the project's `Cargo.lock`. Now the lock's directory, its links resolved, must still lie in the repository.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { clearNamedStaleLock, STALE_LOCK_MS } from "../../src/agent/stale-locks.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-stale-lock-link-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `file` written with `text` and dated past STALE_LOCK_MS. */
function staleFile(file: string, text: string): void {
  writeFileSync(file, text);
  const old = (Date.now() - STALE_LOCK_MS - 60_000) / 1000;
  utimesSync(file, old, old);
}

describe("a lock git names through a link an engine made in a mirror", () => {
  it("is not removed: the file the link leads to stays", () => {
    const project = path.join(root, "project");
    mkdirSync(project);
    staleFile(path.join(project, "Cargo.lock"), "# the project's pinned versions\n");
    const mirror = path.join(root, "mirrors", "app-0123456789ab.git");
    mkdirSync(path.join(mirror, "refs", "remotes"), { recursive: true });
    symlinkSync(project, path.join(mirror, "refs", "remotes", "origin"));
    const stderr = `error: Unable to create '${mirror}/refs/remotes/origin/Cargo.lock': File exists.`;
    expect(clearNamedStaleLock(stderr, [mirror], Date.now())).toBeUndefined();
    expect(readFileSync(path.join(project, "Cargo.lock"), "utf8")).toBe("# the project's pinned versions\n");
  });

  it("one of the mirror's own is still removed", () => {
    const mirror = path.join(root, "own.git");
    mkdirSync(path.join(mirror, "refs", "heads"), { recursive: true });
    const lock = path.join(mirror, "refs", "heads", "main.lock");
    staleFile(lock, "");
    const stderr = `error: Unable to create '${lock}': File exists.`;
    expect(clearNamedStaleLock(stderr, [mirror], Date.now())).toBe(lock);
  });
});
