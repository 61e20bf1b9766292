// Removing an engine user's tree (agent/engine-user `removeTree`, agent root, engines as `nobody`). The tree was
// removed as that user and then, whatever was left, by root recursively — a walk as root through a tree the engine
// user's processes may still change: one left running (a daemon out of its group and its mark) that swaps a
// directory for a link mid-walk made root delete wherever the link led. Now root only unlinks the emptied directory;
// what the engine made read-only (Go's module cache) is made writable by its owner and removed by its owner.
// Root only: needs to run processes as `nobody`.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lookupUser, removeTree } from "../../src/agent/engine-user.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-remove-tree-"));
chmodSync(root, 0o755); // as jobs/ is: the engine user may enter, not change
afterAll(() => rmSync(root, { recursive: true, force: true }));
const nobody = process.getuid?.() === 0 ? lookupUser("nobody") : undefined;

/** `dir` made and owned by `uid` (mode 0755). */
function dirOf(dir: string, uid: number, gid: number): string {
  mkdirSync(dir, { recursive: true });
  chownSync(dir, uid, gid);
  return dir;
}

describe.runIf(process.platform === "linux" && nobody !== undefined)("removeTree as the engine user", () => {
  const as = nobody as NonNullable<typeof nobody>;

  it("removes a tree with read-only directories in it (Go's module cache), as its owner", async () => {
    const ws = dirOf(path.join(root, "job_ro"), as.uid, as.gid);
    let mod = ws;
    for (const name of ["pkg", "mod", "example.com@v1"]) mod = dirOf(path.join(mod, name), as.uid, as.gid);
    writeFileSync(path.join(mod, "go.mod"), "module example.com\n");
    chownSync(path.join(mod, "go.mod"), as.uid, as.gid);
    chmodSync(mod, 0o555);
    chmodSync(path.dirname(mod), 0o555);
    await removeTree(ws, as);
    expect(existsSync(ws)).toBe(false);
  });

  it("never walks the tree as root: what its owner cannot remove is left as it is", async () => {
    const ws = dirOf(path.join(root, "job_foreign"), as.uid, as.gid);
    // Not the engine user's to remove: had root walked the tree, it would be gone.
    const foreign = dirOf(path.join(ws, "not-yours"), 0, 0);
    writeFileSync(path.join(foreign, "kept"), "x");
    writeFileSync(path.join(ws, "own"), "y");
    chownSync(path.join(ws, "own"), as.uid, as.gid);
    await removeTree(ws, as);
    expect(existsSync(path.join(ws, "own"))).toBe(false); // the owner's removal ran
    expect(existsSync(path.join(foreign, "kept"))).toBe(true);
  });
});
