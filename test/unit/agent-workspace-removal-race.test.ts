// Removing a tree an engine wrote, in the sandbox (agent/workspace-removal). Node's recursive rmSync walks by path:
// it lists a directory, then removes each child by its full path — so an engine still running (another seat's) that
// swapped the directory for a link to the state dir once the removal had begun in it had the agent, outside the
// sandbox, delete the state dir's files (the factory token, the job records) by the names it had listed. The removal
// now runs inside the sandbox (`removeInSandbox`), where the state dir is an empty tmpfs and rm follows no link. Here
// a process stands for the engine: it watches the directory and swaps it for the link at the removal's first delete.
// A tree with a read-only directory and a link to elsewhere is removed whole there, the link's target left alone.
// Real bwrap runs; skipped where bwrap does not work, as the other sandbox tests are.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectSandbox, type Sandbox } from "../../src/agent/sandbox.ts";
import { agentWorkDirs, prepareWorkDirs } from "../../src/agent/work-dirs.ts";
import { removeInSandbox, removeWorkTree } from "../../src/agent/workspace-removal.ts";
import { expectStateIntact, fill, raceSwap } from "./agent-swap-race.ts";

const root = realpathSync(mkdtempSync(path.join(tmpdir(), "gf-removal-race-")));
afterAll(() => {
  removeInSandbox(undefined);
  rmSync(root, { recursive: true, force: true });
});
const works =
  process.platform === "linux" && detectSandbox(path.join(root, "probe"), path.join(root, "none")) !== undefined;

/** A state dir and a work dir as `run` prepares them, removals set to run in their sandbox. */
function host(name: string): { state: string; work: string } {
  const state = path.join(root, name, "state");
  mkdirSync(state, { recursive: true, mode: 0o700 });
  const work = prepareWorkDirs(path.join(root, name, "work"), state);
  const box = detectSandbox(state, path.join(state, "config.json"), agentWorkDirs(work)) as Sandbox;
  removeInSandbox(box);
  return { state, work };
}

describe.runIf(works)("removing a tree an engine can write, in the sandbox", () => {
  it("never deletes the state dir's files when the engine swaps a directory for a link to it mid-removal", async () => {
    const { state, work } = host("race");
    fill(state, "agent");
    const tree = path.join(work, "trash", "job_1-0a1b2c3d");
    const dir = path.join(tree, "node_modules");
    mkdirSync(dir, { recursive: true });
    fill(dir, "engine");
    await raceSwap(dir, state, () => removeWorkTree(tree, undefined));
    expectStateIntact(state);
  });

  it("removes a tree with a read-only directory and a link to elsewhere whole, and leaves the link's target", async () => {
    const { work } = host("plain");
    const elsewhere = path.join(root, "plain", "elsewhere");
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, "keep.txt"), "kept\n");
    const tree = path.join(work, "jobs", "job_2");
    mkdirSync(path.join(tree, "gomod", "pkg"), { recursive: true });
    writeFileSync(path.join(tree, "gomod", "pkg", "mod.go"), "package pkg\n");
    chmodSync(path.join(tree, "gomod", "pkg"), 0o555);
    chmodSync(path.join(tree, "gomod"), 0o555);
    symlinkSync(elsewhere, path.join(tree, "out"));
    await removeWorkTree(tree, undefined);
    expect(existsSync(tree)).toBe(false);
    expect(readFileSync(path.join(elsewhere, "keep.txt"), "utf8")).toBe("kept\n");
    await removeWorkTree(tree, undefined); // nothing there: nothing to do
  });
});
