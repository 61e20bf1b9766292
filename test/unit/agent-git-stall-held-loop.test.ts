// A git command's silence bound (agent/git-bounds) judges git's silence, not the agent's: with the agent's event loop
// held past the bound (a loaded host) while git writes, the bound's timer fired in the timers phase, before the poll
// phase read the bytes waiting in git's pipe — git was killed as `git_stalled` ("without a word") though it had
// spoken, and had even finished. The bound now decides after a poll has read what was waiting. The order is forced,
// not hoped for: the test holds the loop until git has written (a file it touches after its byte) and has exited,
// past the bound. `git` here is a script first on PATH (the env a caller gives git is the one its binary is found in).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { git } from "../../src/agent/git.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-git-held-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Shorter than the hold below: the bound is due before the loop is let go. */
const STALL_MS = 500;
const cell = new Int32Array(new SharedArrayBuffer(4));

/** Hold the loop (synchronously) until `ready()`; false when it never came in 30 s (the test then fails). */
function holdUntil(ready: () => boolean): boolean {
  for (const end = Date.now() + 30_000; Date.now() < end; Atomics.wait(cell, 0, 0, 5)) if (ready()) return true;
  return false;
}

describe.runIf(process.platform === "linux")("a git command's silence bound, with the agent's loop held", () => {
  it("does not stop a git that wrote while the loop was held", async () => {
    const bin = path.join(dir, "bin");
    const wrote = path.join(dir, "wrote");
    const exited = path.join(dir, "exited");
    mkdirSync(bin);
    const fake = path.join(bin, "git");
    // A progress byte, then its result, then its exit (the file says it is about to exit: its pipes hold all of it).
    writeFileSync(fake, `#!/bin/sh\nprintf 'Receiving objects\\r' >&2\n: > "${wrote}"\necho done\n: > "${exited}"\n`);
    chmodSync(fake, 0o755);
    const env = { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}` };
    const since = Date.now();
    const result = git(["fetch", "origin"], { cwd: dir, env, stallMs: STALL_MS });
    const held = holdUntil(() => existsSync(wrote) && existsSync(exited) && Date.now() - since >= 2 * STALL_MS);
    expect(held).toBe(true);
    await expect(result).resolves.toBe("done");
  });
});
