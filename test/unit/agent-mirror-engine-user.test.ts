// The mirror's repairs between jobs with an engine user (as the recommended root setup runs them), real git and a
// real user (`nobody`); runs only as root: what one job's engine planted in the shared mirror — a broken HEAD, a
// `shallow` file, an alternates file lending objects from its own workspace, a hook — is undone by git and rm running
// as the engine's user, the next job starts from origin's main with its history and objects whole, and nothing in the
// mirror ends up root's.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { engineHome, lookupUser, type RunAs } from "../../src/agent/engine-user.ts";
import { discardWorkspace, prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";
import { originRepo, sh } from "./agent-git-fixture.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-mirror-user-"));
chmodSync(root, 0o755);
afterAll(() => rmSync(root, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("an engine user's mirror between jobs", () => {
  it("is repaired as that user, and the next job starts whole from origin's main", async () => {
    const user = lookupUser("nobody") as RunAs;
    const workDir = path.join(root, "work");
    mkdirSync(workDir, { recursive: true, mode: 0o755 });
    const owner = { ...user, home: engineHome(user, workDir) };
    const opts = { workDir, checkpointRemote: path.join(workDir, "cp.git"), owner, allowLocalRepos: true };
    const origin = originRepo(path.join(root, "origin"));
    execFileSync("chown", ["-R", `${user.uid}:${user.gid}`, origin]); // a repository the engine user may read
    const inOrigin = (...args: string[]) => sh(origin, "-c", "safe.directory=*", ...args);
    const job = (id: string) => ({ id, title: "t", attempt: 1, leaseEpoch: 1, budget: {}, repo: origin }) as Job;
    const a = await prepareWorkspace(job("job_mu1"), opts);
    inOrigin("commit", "-q", "--allow-empty", "-m", "second");
    const asEngine = { uid: user.uid, gid: user.gid, cwd: a.dir, env: { HOME: owner.home, PATH: process.env.PATH } };
    const engine = (script: string) => execFileSync("sh", ["-c", script], { ...asEngine, encoding: "utf8" });
    engine(`set -e
      c=$(git rev-parse --path-format=absolute --git-common-dir)
      git clone -q --bare '${origin}' .store.git
      echo "$PWD/.store.git/objects" > "$c/objects/info/alternates"
      git rev-parse HEAD > "$c/shallow"
      mkdir -p "$c/hooks" && printf '#!/bin/sh\\ntouch "%s/hook-ran"\\n' "$HOME" > "$c/hooks/post-commit"
      chmod +x "$c/hooks/post-commit"
      echo garbage > "$c/HEAD"`);
    await discardWorkspace(a);
    const b = await prepareWorkspace(job("job_mu2"), opts);
    const inB = (...args: string[]) => execFileSync("git", args, { ...asEngine, cwd: b.dir, encoding: "utf8" }).trim();
    expect(b.base).toBe(inOrigin("rev-parse", "main"));
    expect(inB("rev-list", "--count", "HEAD")).toBe("2");
    inB("-c", "user.email=e@e", "-c", "user.name=e", "commit", "-q", "--allow-empty", "-m", "engine b");
    expect(inB("fsck", "--connectivity-only", "--no-dangling")).toBe("");
    const mirror = b.mirror as string;
    expect(existsSync(path.join(owner.home, "hook-ran"))).toBe(false);
    const left = execFileSync("find", [mirror, "-name", "alternates", "-o", "-name", "shallow"], { encoding: "utf8" });
    expect(left).toBe("");
    expect(execFileSync("find", [mirror, "-not", "-user", String(user.uid)], { encoding: "utf8" })).toBe("");
  });
});
