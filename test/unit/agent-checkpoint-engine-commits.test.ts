// Work the engine committed itself (Claude Code and Codex commit when asked, and often unasked) is checkpointed like
// work it left uncommitted. Before, a run's first checkpoint compared the files with the engine's HEAD: an engine
// whose commits held all its work (a clean tree) had "nothing changed", so nothing was pushed or recorded until the
// final checkpoint — a host lost mid-run lost every commit the engine had made, and the job started over elsewhere.
// Now that checkpoint is the engine's own commit, pushed and announced; the chain goes on from it. Real git in temp
// dirs, a real WipCheckpointer cycle (commit, push, announce), for a fresh run and for a resumed one.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { CheckpointBody } from "../../src/agent/wip-checkpointer.ts";
import { WipCheckpointer } from "../../src/agent/wip-checkpointer.ts";
import { prepareWorkspace, type Workspace } from "../../src/agent/workspace.ts";
import { scratchHost, sh } from "./agent-git-fixture.ts";

const { host, job } = scratchHost("gf-agent-engine-commits-", "job_ec");

/** A WipCheckpointer on `ws` whose announcements are acknowledged and collected. */
function checkpointer(ws: Workspace) {
  const announced: CheckpointBody[] = [];
  const wip = new WipCheckpointer({
    ws,
    jobId: ws.jobId,
    attempt: 1,
    announce: async (c) => {
      announced.push(c);
      return true;
    },
    note: () => undefined,
    stopped: () => false,
  });
  return { wip, announced };
}

/** The engine's work, committed by the engine itself: the tree is clean afterwards. */
function engineCommits(ws: Workspace, file: string): string {
  writeFileSync(path.join(ws.dir, file), `${file}\n`);
  sh(ws.dir, "add", file);
  sh(ws.dir, "commit", "-q", "-m", `engine: ${file}`);
  expect(sh(ws.dir, "status", "--porcelain")).toBe("");
  return sh(ws.dir, "rev-parse", "HEAD");
}

describe("a run whose engine committed its work itself", () => {
  it("has that commit checkpointed, pushed and announced at the first tick", async () => {
    const ws = await prepareWorkspace(job(), host);
    const engine = engineCommits(ws, "a.txt");
    const { wip, announced } = checkpointer(ws);
    await wip.take(false);
    expect(announced.map((c) => c.sha)).toEqual([engine]);
    expect(sh(host.checkpointRemote, "rev-parse", `refs/heads/${announced[0]?.branch}`)).toBe(engine);

    // Nothing more since: the next tick has nothing to say, and no empty commit is made.
    await wip.take(false);
    expect(announced).toHaveLength(1);
  });

  it("resumed from a checkpoint: the engine's commit on top of it is checkpointed too", async () => {
    const first = await prepareWorkspace(job(), host);
    const one = checkpointer(first);
    writeFileSync(path.join(first.dir, "one.txt"), "one\n");
    await one.wip.take(false);
    const recorded = one.announced[0] as CheckpointBody;

    const again = await prepareWorkspace(
      { ...job(), id: first.jobId, leaseEpoch: 2, checkpoint: { ...recorded, at: 0 } },
      host,
    );
    expect(again.resumedFrom).toBe(recorded.sha);
    const engine = engineCommits(again, "two.txt");
    const two = checkpointer(again);
    await two.wip.take(false);
    expect(two.announced.map((c) => c.sha)).toEqual([engine]);
  });

  it("made no commit and changed nothing: nothing is checkpointed", async () => {
    const ws = await prepareWorkspace(job(), host);
    const { wip, announced } = checkpointer(ws);
    await wip.take(false);
    expect(announced).toEqual([]);
  });
});
