// The checkpoint and diff.patch against a hostile workspace, with real git in temp dirs: nested repositories the
// engine made, git config and environment that reshape patches, Latin-1 bytes, a stale index.lock, a huge patch.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runArtifacts } from "../../src/agent/artifacts.ts";
import { pushCheckpoint, snapshot } from "../../src/agent/checkpoint.ts";
import { runDiff } from "../../src/agent/run-diff.ts";
import { clearNamedStaleLock, isStaleLock, STALE_LOCK_MS } from "../../src/agent/stale-locks.ts";
import { files, scratchHost, sh } from "./agent-git-fixture.ts";

const fx = scratchHost("gf-agent-cp-adv-", "job_adv");
const { root, host } = fx;
const workspace = fx.workspace;

describe("repositories nested in the workspace (an engine ran git init inside it)", () => {
  it("captures the files of a nested repository with no commit yet, instead of failing the checkpoint", async () => {
    const ws = await workspace();
    mkdirSync(path.join(ws.dir, "sub"));
    sh(path.join(ws.dir, "sub"), "init", "-q");
    writeFileSync(path.join(ws.dir, "sub", "a.txt"), "nested work\n");
    writeFileSync(path.join(ws.dir, "top.txt"), "top\n");
    const snap = await snapshot(ws, undefined, "cp", false);
    expect(files(ws, snap.sha).split("\n")).toEqual(["100644 sub/a.txt", "100644 top.txt"]);
    expect(snap.embedded).toEqual(["sub"]);
  });

  it("captures a committed nested repository's files (and its uncommitted edits) rather than a gitlink", async () => {
    const ws = await workspace();
    const deep = path.join(ws.dir, "pkg", "lib");
    mkdirSync(deep, { recursive: true });
    sh(deep, "init", "-q");
    writeFileSync(path.join(deep, "f.txt"), "committed\n");
    sh(deep, "add", "f.txt");
    sh(deep, "commit", "-q", "-m", "inner");
    writeFileSync(path.join(deep, "f.txt"), "edited after\n");
    mkdirSync(path.join(deep, "inner"));
    sh(path.join(deep, "inner"), "init", "-q");
    writeFileSync(path.join(deep, "inner", "g.txt"), "two deep\n");
    const snap = await snapshot(ws, undefined, "cp", false);
    expect(files(ws, snap.sha).split("\n")).toEqual(["100644 pkg/lib/f.txt", "100644 pkg/lib/inner/g.txt"]);
    expect(sh(ws.dir, "show", `${snap.sha}:pkg/lib/f.txt`)).toBe("edited after");
    expect(snap.embedded).toEqual(["pkg/lib", "pkg/lib/inner"]);
    // The engine's own view is untouched: its nested repository still has its one commit and the edit unstaged.
    expect(sh(deep, "status", "--porcelain")).toContain("M f.txt");
  });
});

describe("git config and environment that reshape a patch", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it("the patch is the plain, applicable one whatever the repository's config or the agent's environment say", async () => {
    const ws = await workspace();
    const fake = path.join(root, "fake-diff.sh");
    writeFileSync(fake, "#!/bin/sh\necho HIJACKED\n", { mode: 0o755 });
    for (const [k, v] of [
      ["diff.external", fake],
      ["diff.noprefix", "true"],
      ["diff.mnemonicPrefix", "true"],
      ["color.ui", "always"],
      ["color.diff", "always"],
      ["diff.context", "0"],
      ["diff.relative", "true"],
      ["diff.txt.textconv", "tr a-z A-Z"],
      ["core.attributesFile", path.join(root, `attrs-${fx.n}`)],
    ])
      sh(ws.dir, "config", k as string, v as string);
    writeFileSync(path.join(root, `attrs-${fx.n}`), "*.txt diff=txt\n");
    writeFileSync(path.join(ws.dir, "a.txt"), "one\ntwo\nthree\nfour\nfive\n");
    const first = await snapshot(ws, undefined, "cp", true);
    ws.base = first.sha; // the patch under test is this one edit
    writeFileSync(path.join(ws.dir, "a.txt"), "one\ntwo\nTHREE\nfour\nfive\n");
    Object.assign(process.env, {
      GIT_EXTERNAL_DIFF: fake,
      GIT_DIFF_OPTS: "-u0",
      GIT_CONFIG_PARAMETERS: "'diff.noprefix'='true'",
    });
    const fin = await snapshot(ws, first.sha, "cp", true);
    const patch = (await runDiff(ws, fin.sha)).patch?.toString("utf8") ?? "";
    expect(patch).not.toContain("HIJACKED");
    expect(patch).not.toContain("\u001b[");
    expect(patch).toContain("diff --git a/a.txt b/a.txt");
    expect(patch).toContain(" one\n two\n-three\n+THREE\n four\n five\n"); // 3 lines of context, no textconv
    const clone = path.join(root, `apply-${fx.n}`);
    sh(root, "clone", "-q", ws.dir, clone);
    sh(clone, "checkout", "-q", ws.base);
    execFileSync("git", ["apply", "--check", "-"], { cwd: clone, input: patch });
  });
});

describe("bytes that are not UTF-8", () => {
  it("a Latin-1 file's bytes survive the patch exactly, and the artifact is not labelled UTF-8", async () => {
    const ws = await workspace();
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x6e, 0xe4, 0x0a]); // "café\nnä\n" in ISO-8859-1
    writeFileSync(path.join(ws.dir, "l1.txt"), latin1);
    const fin = await snapshot(ws, undefined, "cp", true);
    const { patch } = await runDiff(ws, fin.sha);
    expect(patch?.includes(Buffer.from([0x2b, 0x63, 0x61, 0x66, 0xe9, 0x0a]))).toBe(true); // "+café\n", byte for byte
    const clone = path.join(root, `latin1-${fx.n}`);
    sh(root, "clone", "-q", ws.dir, clone);
    sh(clone, "checkout", "-q", ws.base);
    execFileSync("git", ["apply", "-"], { cwd: clone, input: patch });
    expect(readFileSync(path.join(clone, "l1.txt")).equals(latin1)).toBe(true);
    const [, diffArtifact] = runArtifacts("log", patch as Buffer);
    expect(diffArtifact).toMatchObject({ name: "diff.patch", contentType: "text/x-diff", body: patch });
    expect(runArtifacts("log", Buffer.from("+é\n"))[1]?.contentType).toBe("text/x-diff; charset=utf-8");
  });
});

describe("locks and size", () => {
  it("a stale index.lock the engine left does not stop the final checkpoint, and it is named", async () => {
    const ws = await workspace();
    writeFileSync(path.join(ws.dir, "x.txt"), "x\n");
    const gitDir = sh(ws.dir, "rev-parse", "--absolute-git-dir");
    writeFileSync(path.join(gitDir, "index.lock"), "");
    const fin = await snapshot(ws, undefined, "final", true);
    expect(sh(ws.dir, "rev-parse", "HEAD")).toBe(fin.sha);
    expect(fin.clearedLocks).toEqual([path.join(gitDir, "index.lock")]);
    expect(sh(ws.dir, "status", "--porcelain")).toBe("");
  });

  it("a lock a killed checkpoint left on its private index does not fail the next checkpoint", async () => {
    const ws = await workspace();
    const gitDir = sh(ws.dir, "rev-parse", "--absolute-git-dir");
    writeFileSync(path.join(gitDir, "gf-checkpoint-index.lock"), "");
    writeFileSync(path.join(ws.dir, "y.txt"), "y\n");
    expect((await snapshot(ws, undefined, "cp", false)).changed).toBe(true);
  });

  it("decides staleness from the engine being gone, or an age no git command lasts", () => {
    expect(isStaleLock(0, true)).toBe(true);
    expect(isStaleLock(STALE_LOCK_MS - 1, false)).toBe(false);
    expect(isStaleLock(STALE_LOCK_MS, false)).toBe(true);
  });

  it("a patch over the cap is not read into memory: skipped with why, the stat kept", async () => {
    const ws = await workspace();
    writeFileSync(path.join(ws.dir, "big.txt"), "0123456789abcdef\n".repeat(4096)); // 68 KiB of patch
    const fin = await snapshot(ws, undefined, "final", true);
    const capped = await runDiff(ws, fin.sha, 16 * 1024);
    expect(capped.patch).toBeUndefined();
    expect(capped.skipped).toMatch(/over the 16384-byte limit/);
    expect(capped.stat).toEqual({ files: 1, insertions: 4096, deletions: 0 });
    expect((await runDiff(ws, fin.sha)).patch?.length).toBeGreaterThan(68_000);
  });

  it("a ref lock a crashed push left in the checkpoint remote is cleared once stale; a fresh one is respected", async () => {
    const ws = await workspace();
    writeFileSync(path.join(ws.dir, "z.txt"), "z\n");
    const snap = await snapshot(ws, undefined, "cp", false);
    const lock = path.join(host.checkpointRemote, "refs", "heads", "gf", "wip", `${ws.jobId}-e1.lock`);
    mkdirSync(path.dirname(lock), { recursive: true });
    writeFileSync(lock, "");
    await expect(pushCheckpoint(ws, snap.sha)).rejects.toThrow(/could not push checkpoint/); // held: not ours to take
    const old = (Date.now() - STALE_LOCK_MS - 1000) / 1000;
    utimesSync(lock, old, old);
    expect(await pushCheckpoint(ws, snap.sha)).toMatchObject({ target: host.checkpointRemote });
    expect(existsSync(lock)).toBe(false);
    expect(sh(host.checkpointRemote, "rev-parse", `gf/wip/${ws.jobId}-e1`)).toBe(snap.sha);
  });

  it("never removes a lock git names outside the agent's own repositories", () => {
    const foreign = path.join(root, "foreign.lock");
    writeFileSync(foreign, "");
    const old = (Date.now() - STALE_LOCK_MS - 1000) / 1000;
    utimesSync(foreign, old, old);
    const stderr = `fatal: Unable to create '${foreign}': File exists.`;
    expect(clearNamedStaleLock(stderr, [host.checkpointRemote], Date.now())).toBeUndefined();
    expect(existsSync(foreign)).toBe(true);
    expect(clearNamedStaleLock(stderr, [root], Date.now())).toBe(foreign);
  });

  it("repository config that makes pushes demand signatures, submodules or tags does not stop a checkpoint push", async () => {
    const ws = await workspace();
    for (const [k, v] of [
      ["push.gpgSign", "true"],
      ["push.recurseSubmodules", "check"],
      ["push.followTags", "true"],
    ])
      sh(ws.dir, "config", k as string, v as string);
    writeFileSync(path.join(ws.dir, "s.txt"), "s\n");
    const snap = await snapshot(ws, undefined, "cp", false);
    expect(await pushCheckpoint(ws, snap.sha)).toMatchObject({ target: host.checkpointRemote });
  });
});
