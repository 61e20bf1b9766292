// A git command's wall-clock bound (agent/git-bounds `watchGit` timeoutMs) judges git, not the agent's loop: with the
// loop held past the bound (a loaded host) after git had finished, the bound's timer fired in the timers phase, before
// the poll that reads git's exit, and killed it as `git_timeout`. The bound now decides after a poll, on git's exit
// (exitCode/signalCode). A git that exited but left something holding its pipes is still stopped, GIT_DRAIN_MS after
// the bound, as `git_timeout` — never held for ever. The order is forced (the loop held until git has exited, past the
// bound), not hoped for; `git` here is a script first on PATH (real child processes).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { git } from "../../src/agent/git.ts";
import { GIT_TIMEOUT } from "../../src/agent/git-bounds.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-git-wall-held-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The git command's wall bound here, ms: shorter than the hold below, so it is due before the loop is let go. */
const TIMEOUT_MS = 500;
const cell = new Int32Array(new SharedArrayBuffer(4));

/** Hold the loop (synchronously) until `ready()`; false when it never came in 30 s (the test then fails). */
function holdUntil(ready: () => boolean): boolean {
  for (const end = Date.now() + 30_000; Date.now() < end; Atomics.wait(cell, 0, 0, 5)) if (ready()) return true;
  return false;
}

/** A fake `git` (shell script `body`) first on a PATH of its own folder `name`; the env to run it with. */
function fakeGit(name: string, body: string): { PATH: string } {
  const bin = path.join(dir, name);
  mkdirSync(bin);
  const fake = path.join(bin, "git");
  writeFileSync(fake, `#!/bin/sh\n${body}`);
  chmodSync(fake, 0o755);
  return { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}` };
}

describe.runIf(process.platform === "linux")("a git command's wall bound, the agent's loop held", () => {
  // What a user lost: a checkpoint, a workspace preparation or a push that git finished in time failed with
  // `git_timeout` on a loaded host (the job failed or its WIP checkpoint was lost).
  it("does not stop a git that finished within its bound when its exit was merely unread", async () => {
    const exited = path.join(dir, "exited");
    // Its result, then its exit (the file says it is about to exit: its pipe holds all it wrote).
    const env = fakeGit("bin", `echo done\n: > "${exited}"\n`);
    const since = Date.now();
    const result = git(["status"], { cwd: dir, env, timeoutMs: TIMEOUT_MS });
    // git ends well within its bound; the loop is let go only once the bound is past due.
    const held = holdUntil(() => existsSync(exited) && Date.now() - since >= 2 * TIMEOUT_MS);
    expect(held).toBe(true);
    await expect(result).resolves.toBe("done");
  });

  it("stops a git that exited but left a process holding its pipes, as git_timeout", async () => {
    // git exits at once; the sleep it started (its process group) keeps its stdout open, so `close` never comes.
    const env = fakeGit("bin-held", "sleep 300 &\necho done\n");
    await expect(git(["status"], { cwd: dir, env, timeoutMs: TIMEOUT_MS })).rejects.toMatchObject({
      code: GIT_TIMEOUT,
    });
  });
});
