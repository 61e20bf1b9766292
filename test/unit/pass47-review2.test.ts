// Hostile review of pass 47's `afterPoll` bounds (real child processes, the agent's loop held until each state): a
// git command's wall-clock bound (agent/git-bounds `watchGit` timeoutMs) is the same kind as the silence bound fixed
// this pass — it fires in the timers phase, before the poll reads git's exit — so a git that finished within its
// bound, the loop held past the bound before its exit was read, is killed as `git_timeout`. RED today.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { git } from "../../src/agent/git.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-pass47-review2-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The git command's wall bound here, ms: shorter than the hold below, so it is due before the loop is let go. */
const TIMEOUT_MS = 500;
const cell = new Int32Array(new SharedArrayBuffer(4));

/** Hold the loop (synchronously) until `ready()`; false when it never came in 30 s (the test then fails). */
function holdUntil(ready: () => boolean): boolean {
  for (const end = Date.now() + 30_000; Date.now() < end; Atomics.wait(cell, 0, 0, 5)) if (ready()) return true;
  return false;
}

describe.runIf(process.platform === "linux")("pass 47 review 2: a git command's wall bound, loop held", () => {
  // What a user loses: a checkpoint, a workspace preparation or a push that git finished in time fails with
  // `git_timeout` on a loaded host (the job fails or its WIP checkpoint is lost) — the very order helper A fixed for
  // the silence bound and the engine's wall budget, left in the wall bound beside them (git-bounds.ts `wall`).
  it("a git that finished within its wall bound is not stopped as git_timeout when its exit was merely unread", async () => {
    const bin = path.join(dir, "bin");
    const exited = path.join(dir, "exited");
    mkdirSync(bin);
    const fake = path.join(bin, "git");
    // Its result, then its exit (the file says it is about to exit: its pipe holds all it wrote).
    writeFileSync(fake, `#!/bin/sh\necho done\n: > "${exited}"\n`);
    chmodSync(fake, 0o755);
    const env = { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}` };
    const since = Date.now();
    const result = git(["status"], { cwd: dir, env, timeoutMs: TIMEOUT_MS });
    // git ends well within its bound; the loop is let go only once the bound is past due.
    const held = holdUntil(() => existsSync(exited) && Date.now() - since >= 2 * TIMEOUT_MS);
    expect(held).toBe(true);
    await expect(result).resolves.toBe("done");
  });
});
