// The agent's mirror, resume and secret handling against a hostile engine and a careless operator (real git in temp dirs):
// the shared mirror's origin cannot be redirected by one job's engine for the next, its info/exclude is never written
// through a hard link, a running job keeps the config its engine set while another job starts, a stale lock left by a
// killed resume fetch is cleared, a negated .gitignore pattern keeps its file inside a nested repository, a malformed
// URL never echoes its password, and ordinary words containing `gf_` or `bearer` are not redacted.
import { execFileSync, spawnSync } from "node:child_process";
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { snapshot } from "../../src/agent/checkpoint.ts";
import { checkedUrl } from "../../src/agent/credential-checks.ts";
import { cleanMirror } from "../../src/agent/mirror-hygiene.ts";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";
import { FixableError } from "../../src/shared/fixable-error.ts";
import { redactSecrets } from "../../src/shared/redact-secrets.ts";
import { files, originRepo, scratchHost, sh } from "./agent-git-fixture.ts";

const fx = scratchHost("gf-agent-edges-", "job_edge");
const { root, host, job } = fx;

describe("checkedUrl never echoes a password", () => {
  for (const raw of [
    "https://bob:hunter2#x@gf.example",
    "https://bob:hun ter2@gf.example",
    "https://bob:hun/ter2@gf.example",
    "https://bob:hunter2?@gf.example",
  ]) {
    it(raw, () => {
      // Refused, not merely quiet: an accepted URL would carry the password on to every request and log line, and a
      // message of "" would pass the checks below without ever having been written.
      let err: FixableError | undefined;
      try {
        checkedUrl(raw, "--url");
      } catch (e) {
        err = e as FixableError;
      }
      expect(err).toBeInstanceOf(FixableError);
      expect(err?.code).toBe("bad_url");
      const said = `${err?.message}\n${err?.fix}`;
      expect(said).toContain("--url");
      expect(said).not.toContain("hun");
    });
  }
});

describe("redactSecrets on ordinary text", () => {
  for (const text of [
    "compute_mgf_series_expansion_terms",
    "import key import_gf_batch_2024_01_01_item_0001",
    "the standardbearer results were fine",
  ]) {
    it(text, () => expect(redactSecrets(text)).toBe(text));
  }
});

describe("mirror cleaning and a concurrent job", () => {
  it("job B's preparation leaves the config job A's engine set while A is still running", async () => {
    const origin = originRepo(path.join(root, "origin"));
    const opts = { ...host, allowLocalRepos: true };
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    // A's engine configures its identity the usual way (no --worktree: it lands in the shared mirror config).
    execFileSync("git", ["config", "user.email", "engine-a@example.com"], { cwd: a.dir });
    execFileSync("git", ["config", "user.name", "engine a"], { cwd: a.dir });
    await prepareWorkspace(job({ repo: origin }), opts); // job B starts on the same host
    const r = spawnSync("git", ["config", "user.email"], { cwd: a.dir, encoding: "utf8" });
    expect(r.stdout.trim()).toBe("engine-a@example.com");
  });

  it("cleaning info/exclude never writes through a hard link", async () => {
    const m = path.join(root, "m.git");
    sh(root, "init", "-q", "--bare", m);
    const victim = path.join(root, "victim.txt");
    writeFileSync(victim, "precious\n");
    rmSync(path.join(m, "info", "exclude"), { force: true });
    linkSync(victim, path.join(m, "info", "exclude"));
    await cleanMirror(m, undefined, path.join(root, "nowhere.git"));
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
  });
});

describe("the mirror against an engine, and resume after a killed fetch", () => {
  const mkOrigin = (name: string) => {
    const origin = originRepo(path.join(root, name));
    return origin;
  };

  it("an engine's `git remote set-url origin` does not reach the next job's mirror", async () => {
    const origin = mkOrigin("origin-url");
    const evil = mkOrigin("evil");
    const opts = { ...host, allowLocalRepos: true };
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    execFileSync("git", ["remote", "set-url", "origin", evil], { cwd: a.dir });
    const b = await prepareWorkspace(job({ repo: origin }), opts);
    const url = sh(b.dir, "config", "remote.origin.url");
    expect(url).toBe(origin);
  });

  it("a stale ref lock of an earlier killed resume is cleared, and the job resumes from its checkpoint", async () => {
    const origin = mkOrigin("origin-lock");
    const opts = { ...host, allowLocalRepos: true };
    const j = job({ repo: origin });
    const a = await prepareWorkspace(j, opts);
    writeFileSync(path.join(a.dir, "work.txt"), "w\n");
    sh(a.dir, "add", ".");
    sh(a.dir, "commit", "-q", "-m", "wip");
    const sha = sh(a.dir, "rev-parse", "HEAD");
    const branch = `gf/wip/${j.id}-e1`;
    sh(a.dir, "push", "-q", host.checkpointRemote, `HEAD:refs/heads/${branch}`);
    const mirror = a.mirror as string;
    const lockDir = path.join(mirror, "refs", "gf", "resume-src", j.id);
    mkdirSync(lockDir, { recursive: true });
    const lock = path.join(lockDir, "1.lock"); // source 1 = the checkpoint remote
    writeFileSync(lock, "");
    const old = new Date(Date.now() - 3600_000);
    (await import("node:fs")).utimesSync(lock, old, old);
    const again = { ...j, attempt: 2, leaseEpoch: 2, checkpoint: { branch, sha } } as Job;
    const ws = await prepareWorkspace(again, opts);
    expect(ws?.resumedFrom).toBe(sha);
  });
});

describe("embedded-repos: a negated .gitignore pattern", () => {
  it("keeps .env.example inside a nested repository (outer .gitignore: .env* then !.env.example)", async () => {
    const ws = await prepareWorkspace(job(), host);
    writeFileSync(path.join(ws.dir, ".gitignore"), ".env*\n!.env.example\n");
    sh(ws.dir, "add", ".gitignore");
    sh(ws.dir, "commit", "-q", "-m", "ignore");
    const sub = path.join(ws.dir, "sub");
    mkdirSync(sub);
    sh(sub, "init", "-q");
    writeFileSync(path.join(sub, ".env"), "SECRET=1\n");
    writeFileSync(path.join(sub, ".env.example"), "SECRET=\n");
    writeFileSync(path.join(sub, "app.ts"), "x\n");
    writeFileSync(path.join(ws.dir, ".env.example"), "TOP=\n");
    const snap = await snapshot(ws, undefined, "cp", false);
    expect(files(ws, snap.sha).split("\n")).toEqual([
      "100644 .env.example",
      "100644 .gitignore",
      "100644 sub/.env.example",
      "100644 sub/app.ts",
    ]);
  });
});
