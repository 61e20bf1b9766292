// The agent's one file copy in an engine's tree (a checkpoint starts its private index from the workspace's
// `.git/index`) never follows a link the engine planted: with no engine user — the engine runs as the agent's own
// user, in the bubblewrap sandbox — `.git/index` made a symlink to the factory's config.json is refused, and
// nothing of the target lands where the engine can read it. Found by a security review: the copy followed the link
// outside the sandbox, writing the token into `.git/gf-checkpoint-index`, inside the engine's workspace, for the
// length of a `git add`.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { copyAs } from "../../src/agent/engine-user.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-copy-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("copyAs without an engine user", () => {
  it("refuses a source that is a symlink, and leaves no copy of its target behind", async () => {
    const secret = path.join(root, "config.json");
    writeFileSync(secret, '{"token":"gf_p_COPYSECRET"}');
    const gitDir = path.join(root, "ws", ".git");
    mkdirSync(gitDir, { recursive: true });
    const index = path.join(gitDir, "index");
    symlinkSync(secret, index);
    const copy = path.join(gitDir, "gf-checkpoint-index");
    await expect(copyAs(index, copy, undefined)).rejects.toThrow();
    expect(existsSync(copy) ? readFileSync(copy, "utf8") : "").not.toContain("COPYSECRET");
  });

  it("does not write through a symlink planted at the destination", async () => {
    const precious = path.join(root, "precious.txt");
    writeFileSync(precious, "keep");
    const src = path.join(root, "index");
    writeFileSync(src, "DIRC index bytes");
    const dst = path.join(root, "planted-dst");
    symlinkSync(precious, dst);
    await copyAs(src, dst, undefined);
    expect(readFileSync(precious, "utf8")).toBe("keep");
    expect(readFileSync(dst, "utf8")).toBe("DIRC index bytes");
  });

  it("copies a regular file as before", async () => {
    const src = path.join(root, "plain");
    writeFileSync(src, "bytes\u0000of an index");
    await copyAs(src, path.join(root, "plain-copy"), undefined);
    expect(readFileSync(path.join(root, "plain-copy"), "utf8")).toBe("bytes\u0000of an index");
  });

  it("keeps the source's modification time: git's racy-entry check reads it off the index copy", async () => {
    // Stamped "now", a copied index made every entry look settled, and a same-size edit in the clock tick of the
    // last index write was missed by the checkpoint (4 of 150 final snapshots in a loop lost the engine's edit).
    const src = path.join(root, "timed-index");
    writeFileSync(src, "DIRC");
    const then = new Date(Date.now() - 3_600_000);
    utimesSync(src, then, then);
    const dst = path.join(root, "timed-copy");
    await copyAs(src, dst, undefined);
    expect(statSync(dst).mtimeMs).toBe(statSync(src).mtimeMs);
  });
});
