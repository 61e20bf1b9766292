// With engines in the bubblewrap sandbox (the agent not root), the agent's own git commands run in that sandbox
// too: the engine shares the agent's user, so it writes the repository config of its workspace (and the user's
// ~/.gitconfig), and git obeys config by running commands — a clean filter, core.fsmonitor, core.sshCommand. Found by
// a security review: the agent ran git outside the sandbox, so an engine that set a clean filter in its workspace had
// it run by the next WIP checkpoint's `git add`, unsandboxed, where the state dir (the factory token) is readable —
// undoing the sandbox. Real git and real bwrap; runs only where bwrap works, as the agent's own sandbox check does.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { checkpointMessage, snapshot } from "../../src/agent/checkpoint.ts";
import { runGitInSandbox } from "../../src/agent/git.ts";
import { detectSandbox, type Sandbox } from "../../src/agent/sandbox.ts";
import { discardWorkspace, prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-gitbox-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => runGitInSandbox(undefined));
const stateDir = path.join(root, "state");
mkdirSync(stateDir, { mode: 0o700 });
chmodSync(stateDir, 0o700);
writeFileSync(path.join(stateDir, "config.json"), '{"token":"gf_p_GITBOXSECRET"}', { mode: 0o600 });
const box = detectSandbox(stateDir, path.join(stateDir, "config.json"));

describe.skipIf(box === undefined)("the agent's git, with engines in the bubblewrap sandbox", () => {
  it("runs a filter the engine configured inside the sandbox, where the state dir is empty", async () => {
    runGitInSandbox(box as Sandbox);
    const workDir = path.join(root, "work");
    const job = { id: "job_box", title: "t", bodyMd: "", attempt: 1, budget: {}, leaseEpoch: 1 } as unknown as Job;
    const ws = await prepareWorkspace(job, { workDir, checkpointRemote: path.join(workDir, "cp.git") });

    // What a prompt-injected engine, running as this same user, writes into its own workspace.
    const leak = path.join(root, "leak.txt");
    const steal = `cat ${path.join(stateDir, "config.json")} >> ${leak} 2>/dev/null; cat`;
    execFileSync("git", ["config", "filter.x.clean", `sh -c '${steal}'`], { cwd: ws.dir });
    writeFileSync(path.join(ws.dir, ".gitattributes"), "* filter=x\n");
    writeFileSync(path.join(ws.dir, "work.txt"), "the engine's work\n");

    const snap = await snapshot(ws, undefined, checkpointMessage(job.id, 1), false);
    expect(snap.changed).toBe(true);
    expect(existsSync(leak)).toBe(true); // the filter did run: inside the sandbox
    expect(readFileSync(leak, "utf8")).not.toContain("GITBOXSECRET");
    await discardWorkspace(ws);
  });
});
