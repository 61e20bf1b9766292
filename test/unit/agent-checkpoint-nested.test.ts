// Nested repositories the checkpoint (agent/embedded-repos) must still capture, or leave out on purpose, with real
// git in temp dirs: one where the base tracks a file, secrets the workspace's .gitignore names inside one, more of
// them than a checkpoint handles, and an info/exclude the engine wrote (the workspace's, or a nested repository's).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { snapshot } from "../../src/agent/checkpoint.ts";
import { MAX_NESTED } from "../../src/agent/embedded-repos.ts";
import type { Workspace } from "../../src/agent/workspace.ts";
import { files, scratchHost, sh } from "./agent-git-fixture.ts";

const fx = scratchHost("gf-agent-cp-nested-", "job_nest");
const workspace = fx.workspace;
/** Commit `rel` (a file) in the workspace, as the base the engine starts from. */
function commitFile(ws: Workspace, rel: string, text: string): void {
  writeFileSync(path.join(ws.dir, rel), text);
  sh(ws.dir, "add", "--", rel);
  sh(ws.dir, "commit", "-q", "-m", `base ${rel}`);
}

describe("a nested repository where the base tracks a file", () => {
  for (const committed of [false, true]) {
    it(`captures its files (${committed ? "with" : "without"} a commit inside), not a failure or a gitlink`, async () => {
      const ws = await workspace();
      commitFile(ws, "thing", "file\n");
      rmSync(path.join(ws.dir, "thing"));
      const thing = path.join(ws.dir, "thing");
      mkdirSync(thing);
      sh(thing, "init", "-q");
      writeFileSync(path.join(thing, "in.txt"), "in\n");
      if (committed) {
        sh(thing, "add", ".");
        sh(thing, "commit", "-q", "-m", "inner");
      }
      const snap = await snapshot(ws, undefined, "cp", false);
      expect(files(ws, snap.sha)).toBe("100644 thing/in.txt");
      expect(snap.embedded).toEqual(["thing"]);
    });
  }
});

describe("the workspace's ignore rules", () => {
  it("apply inside a nested repository: its .env, node_modules/ and logs stay out of the checkpoint", async () => {
    const ws = await workspace();
    commitFile(ws, ".gitignore", ".env\nnode_modules/\n*.log\nvendor/\n");
    const sub = path.join(ws.dir, "sub");
    mkdirSync(path.join(sub, "node_modules"), { recursive: true });
    sh(sub, "init", "-q");
    writeFileSync(path.join(sub, ".gitignore"), "local.tmp\n");
    for (const f of [".env", "keep.ts", "debug.log", "node_modules/m.js", "local.tmp"])
      writeFileSync(path.join(sub, f), "x\n");
    mkdirSync(path.join(sub, "vendor"));
    sh(path.join(sub, "vendor"), "init", "-q");
    writeFileSync(path.join(sub, "vendor", "v.js"), "x\n");
    const deeper = path.join(sub, "deeper");
    mkdirSync(deeper);
    sh(deeper, "init", "-q");
    writeFileSync(path.join(deeper, ".env"), "SECRET=1\n");
    writeFileSync(path.join(deeper, "local.tmp"), "x\n"); // the middle repository's own rule applies below it too
    writeFileSync(path.join(deeper, "ok.txt"), "x\n");
    const snap = await snapshot(ws, undefined, "cp", false);
    expect(files(ws, snap.sha).split("\n")).toEqual([
      "100644 .gitignore",
      "100644 sub/.gitignore",
      "100644 sub/deeper/ok.txt",
      "100644 sub/keep.ts",
    ]);
    expect(snap.embedded).toEqual(["sub", "sub/deeper"]);
  });

  it("are the .gitignore files only: an info/exclude the engine wrote drops nothing", async () => {
    const ws = await workspace();
    const common = sh(ws.dir, "rev-parse", "--path-format=absolute", "--git-common-dir");
    mkdirSync(path.join(common, "info"), { recursive: true });
    writeFileSync(path.join(common, "info", "exclude"), "new.txt\n");
    writeFileSync(path.join(ws.dir, "new.txt"), "new\n");
    const snap = await snapshot(ws, undefined, "cp", false);
    expect(files(ws, snap.sha)).toBe("100644 new.txt");
  });

  it("inside a nested repository too: the info/exclude of the mirror or of a nested .git, written mid-run, drops nothing", async () => {
    const ws = await workspace();
    const common = sh(ws.dir, "rev-parse", "--path-format=absolute", "--git-common-dir");
    const sub = path.join(ws.dir, "sub");
    mkdirSync(sub);
    sh(sub, "init", "-q");
    const deeper = path.join(sub, "deeper");
    mkdirSync(deeper);
    sh(deeper, "init", "-q");
    for (const dir of [sub, deeper]) writeFileSync(path.join(dir, "work.ts"), "x\n");
    // The checkpoint's `check-ignore` of the enclosing rules ran in the workspace's git dir: its info/exclude (the
    // mirror's, for a repo job) left the nested work out.
    for (const gitDir of [common, path.join(sub, ".git"), path.join(deeper, ".git")]) {
      mkdirSync(path.join(gitDir, "info"), { recursive: true });
      writeFileSync(path.join(gitDir, "info", "exclude"), "work.ts\n*.ts\n");
    }
    const snap = await snapshot(ws, undefined, "cp", false);
    expect(files(ws, snap.sha).split("\n")).toEqual(["100644 sub/deeper/work.ts", "100644 sub/work.ts"]);
  });
});

describe("many nested repositories", () => {
  it(`captures at most ${MAX_NESTED} per checkpoint and names the rest as skipped`, async () => {
    const ws = await workspace();
    const count = MAX_NESTED + 2;
    for (let i = 0; i < count; i++) {
      // The least a `.git` must hold for git to take the directory for a repository.
      const d = path.join(ws.dir, `r${String(i).padStart(3, "0")}`); // ls-files order = numeric order
      mkdirSync(path.join(d, ".git", "objects"), { recursive: true });
      mkdirSync(path.join(d, ".git", "refs"), { recursive: true });
      writeFileSync(path.join(d, ".git", "HEAD"), "ref: refs/heads/main\n");
      writeFileSync(path.join(d, "f"), `${i}\n`);
    }
    const snap = await snapshot(ws, undefined, "cp", false);
    expect(snap.embedded).toHaveLength(MAX_NESTED);
    const name = (i: number) => `r${String(i).padStart(3, "0")}`;
    const why = `(over ${MAX_NESTED} nested repositories)`;
    expect(snap.skipped).toEqual([`${name(MAX_NESTED)} ${why}`, `${name(MAX_NESTED + 1)} ${why}`]);
    expect(files(ws, snap.sha).split("\n")).toHaveLength(MAX_NESTED);
  });
});
