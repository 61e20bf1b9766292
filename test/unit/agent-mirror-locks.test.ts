// Lock files left in a repository's shared mirror do not fail every later job of that repository on the host (real
// git in temp dirs, file remotes only): a `config.lock` an agent killed mid-preparation left (the preparation's
// config writes took no stale lock away, so every later one failed "could not lock config file" for good), and a ref
// lock an engine dated into the future (never "older than any git command lasts", so never cleared).
import { utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isStaleLock, STALE_LOCK_MS } from "../../src/agent/stale-locks.ts";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import { originRepo, scratchHost, sh } from "./agent-git-fixture.ts";

const fx = scratchHost("gf-agent-mirror-locks-", "job_lock");
const { root, host, job } = fx;
const opts = { ...host, allowLocalRepos: true };

/** Plant an empty lock file at `file`, its mtime `ms` from now. */
function plantLock(file: string, ms: number): void {
  writeFileSync(file, "");
  const t = (Date.now() + ms) / 1000;
  utimesSync(file, t, t);
}

describe("locks left in a mirror", () => {
  it("a config.lock an agent killed mid-preparation left is cleared once stale", async () => {
    const origin = originRepo(path.join(root, "origin-config-lock"));
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    plantLock(path.join(a.mirror as string, "config.lock"), -STALE_LOCK_MS - 60_000);
    const b = await prepareWorkspace(job({ repo: origin }), opts);
    expect(b.base).toBe(sh(origin, "rev-parse", "main"));
  });

  it("a ref lock dated into the future is stale", async () => {
    expect(isStaleLock(-STALE_LOCK_MS, false)).toBe(true);
    expect(isStaleLock(-1000, false)).toBe(false); // a clock a second apart: a lock just taken
    const origin = originRepo(path.join(root, "origin-future-lock"));
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    sh(origin, "commit", "-q", "--allow-empty", "-m", "second");
    plantLock(path.join(a.mirror as string, "refs", "remotes", "origin", "main.lock"), 365 * 86_400_000);
    const b = await prepareWorkspace(job({ repo: origin }), opts);
    expect(b.base).toBe(sh(origin, "rev-parse", "main"));
  });
});
