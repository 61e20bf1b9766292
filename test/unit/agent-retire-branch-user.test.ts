// Retiring a resumed run's old checkpoint branch runs git as the engine's user, like every other git command in
// the engine's files: the repository's config there is the engine's to write, and git obeys config by running
// commands. Found by a security review: `retireBranch` ran `git push` as the agent itself (root, in the recommended
// setup), so an engine that wrote `url.<x>.pushInsteadOf` + `core.sshCommand` into its workspace's .git/config had
// its command run as root at the run's first checkpoint after a resume — the engine became the agent, factory token
// and all — wherever git's ownership check does not stop root first: git before 2.35.2, or a host that trusts every
// directory (`safe.directory=*`, common in container images; simulated here through GIT_CONFIG_*). Where the check
// does stop it, the push failed instead and old branches were never retired. Real git, a real engine user
// (`nobody`); runs only as root, as the agent's engine-user setup does.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkpointMessage, pushCheckpoint, retireBranch, snapshot } from "../../src/agent/checkpoint.ts";
import { engineHome, lookupUser, type RunAs } from "../../src/agent/engine-user.ts";
import { discardWorkspace, prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-retire-"));
chmodSync(root, 0o1777); // the engine user writes its marker here
afterAll(() => rmSync(root, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

/** A scratch workspace owned by `nobody` whose run resumed from epoch 0's branch, pushed to the checkpoint remote. */
async function resumedWorkspace(name: string) {
  const user = lookupUser("nobody") as RunAs;
  const workDir = path.join(root, name);
  const checkpointRemote = path.join(workDir, "cp.git");
  const owner = { ...user, home: engineHome(user, workDir) };
  const job = { id: "job_retire", title: "t", bodyMd: "", attempt: 2, budget: {}, leaseEpoch: 1 } as unknown as Job;
  const ws = await prepareWorkspace(job, { workDir, checkpointRemote, owner });
  const old = "gf/wip/job_retire-e0";
  const first = await snapshot(ws, undefined, checkpointMessage(job.id, 1), false);
  await pushCheckpoint({ ...ws, leaseEpoch: 0 }, first.sha);
  // How the run came to resume from it is agent/workspace's business: set directly.
  return { user, ws, checkpointRemote, old, resumed: { ...ws, resumedBranch: old } };
}

/** Root's git trusting every directory, as `safe.directory=*` in its global config would. */
async function withRootTrustingAll<T>(fn: () => Promise<T>): Promise<T> {
  const keys = ["GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0"] as const;
  const saved = keys.map((k) => process.env[k]);
  Object.assign(process.env, { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "safe.directory", GIT_CONFIG_VALUE_0: "*" });
  try {
    return await fn();
  } finally {
    keys.forEach((k, i) => {
      if (saved[i] === undefined) delete process.env[k];
      else process.env[k] = saved[i];
    });
  }
}

describe.skipIf(!isRoot)("retiring the branch a run resumed from, with an engine user", () => {
  it("deletes the old branch (as the engine user, whose repository it is)", async () => {
    const { ws, checkpointRemote, old, resumed } = await resumedWorkspace("plain");
    const heads = () =>
      execFileSync("git", ["-c", "safe.directory=*", "-C", checkpointRemote, "for-each-ref"], {
        encoding: "utf8",
      });
    expect(heads()).toContain(old);
    expect(await retireBranch(resumed, old)).toEqual([checkpointRemote]);
    expect(heads()).not.toContain(old);
    await discardWorkspace(ws);
  });

  it("never runs a command the engine configured as the agent", async () => {
    const { user, ws, checkpointRemote, old, resumed } = await resumedWorkspace("hostile");

    // What a prompt-injected engine can do in its own workspace, as its own user.
    const marker = path.join(root, "ran-as");
    const asEngine = { uid: user.uid, gid: user.gid, cwd: ws.dir };
    execFileSync("git", ["config", `url.ssh://gf-evil.invalid/.pushInsteadOf`, checkpointRemote], asEngine);
    execFileSync("git", ["config", "core.sshCommand", `id -u > ${marker}; false`], asEngine);

    await withRootTrustingAll(() => retireBranch(resumed, old));
    const ranAs = existsSync(marker) ? readFileSync(marker, "utf8").trim() : undefined;
    expect(ranAs === undefined || ranAs === String(user.uid), `the engine's command ran as uid ${ranAs}`).toBe(true);
    await discardWorkspace(ws);
  });
});
