// What the agent removes from a repository's mirror (agent/mirror-hygiene `hooks`, `info/exclude`, grafts;
// agent/mirror-fetch a planted `shallow`; agent/mirror-head a HEAD made a directory; agent/mirror-ready an unreadable
// mirror), in the sandbox. These called agent/engine-user `removeTree` directly, which without an engine user is
// node's recursive rmSync outside the sandbox, walking by path: an engine still running from the mirror that swapped
// a directory of the tree for a link to the state dir once the removal had begun in it had the agent delete the state
// dir's files (the factory token, the job records) by the names it had listed. They now go through
// agent/workspace-removal `removeWorkTree`, which removes inside the sandbox, where the state dir is an empty tmpfs.
// Here a process stands for the engine: it watches `hooks/node_modules` and swaps it for the link at the removal's
// first delete. Real git and bwrap; skipped where bwrap does not work, as the other sandbox tests are.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanMirror } from "../../src/agent/mirror-hygiene.ts";
import { detectSandbox, type Sandbox } from "../../src/agent/sandbox.ts";
import { agentWorkDirs, prepareWorkDirs } from "../../src/agent/work-dirs.ts";
import { removeInSandbox } from "../../src/agent/workspace-removal.ts";
import { originRepo } from "./agent-git-fixture.ts";
import { expectStateIntact, fill, raceSwap } from "./agent-swap-race.ts";

const root = realpathSync(mkdtempSync(path.join(tmpdir(), "gf-mirror-removal-")));
afterAll(() => {
  removeInSandbox(undefined);
  rmSync(root, { recursive: true, force: true });
});
const works =
  process.platform === "linux" && detectSandbox(path.join(root, "probe"), path.join(root, "none")) !== undefined;

describe.runIf(works)("removing what an engine planted in a mirror, in the sandbox", () => {
  it("never deletes the state dir's files when the engine swaps a directory of `hooks` for a link to it", async () => {
    const state = path.join(root, "state");
    mkdirSync(state, { recursive: true, mode: 0o700 });
    const work = prepareWorkDirs(path.join(root, "work"), state);
    removeInSandbox(detectSandbox(state, path.join(state, "config.json"), agentWorkDirs(work)) as Sandbox);
    fill(state, "agent");
    const origin = originRepo(path.join(root, "origin"));
    const mirror = path.join(work, "mirrors", "origin-0123456789ab.git");
    execFileSync("git", ["clone", "--bare", "-q", "--", origin, mirror]);
    const dir = path.join(mirror, "hooks", "node_modules");
    mkdirSync(dir, { recursive: true });
    fill(dir, "engine");
    await raceSwap(dir, state, () => cleanMirror(mirror, undefined, origin));
    expectStateIntact(state);
    expect(existsSync(path.join(mirror, "HEAD"))).toBe(true);
  });
});
