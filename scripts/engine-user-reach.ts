/**
 * @module scripts/engine-user-reach
 * Whether the default engine user of a root agent (`nobody`, see src/agent/engine-user.ts) can run this
 * checkout's bundled Node and sample engine — the demo and the tests that start real agents need that. It cannot
 * when the checkout sits under a private directory (e.g. `/root`, mode 0700). Then the tests stage a copy of the
 * Node binary and the (self-contained) sample engine in a world-readable temp dir, so engines still run as
 * `nobody` exactly as on a host; the demo, whose agents' work dirs live in the checkout, runs its engines as us
 * (`--engine-user <self>`: bubblewrap when present, else the agent's `engine.unconfined` warning).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, realpathSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { sampleTemplate } from "../src/agent/engines.ts";

/** `nobody`'s uid and gid on Debian: what a root agent runs engines as by default. */
const NOBODY = 65534;

const nodeOf = (root: string) => realpathSync(path.join(root, "node_modules", ".bin", "node"));
const sampleOf = (root: string) => path.join(root, "examples", "engines", "sample-engine.mjs");

/** True when this process is not root (no engine user is involved) or `nobody` can run the checkout's sample. */
export function engineUserReaches(root: string): boolean {
  if (process.getuid?.() !== 0) return true;
  const probe = spawnSync("sh", ["-c", 'test -x "$1" && test -r "$2"', "sh", nodeOf(root), sampleOf(root)], {
    uid: NOBODY,
    gid: NOBODY,
    stdio: "ignore",
  });
  return probe.status === 0;
}

/** Demo `run` flags: none normally; `--engine-user <self>` when `nobody` cannot reach `root`. */
export function localEngineUserArgs(root: string): string[] {
  return engineUserReaches(root) ? [] : ["--engine-user", os.userInfo().username];
}

/**
 * The Node binary and sample engine script the tests should name: the checkout's own normally; when `nobody`
 * cannot reach `root`, copies in a world-readable temp dir (hard links when the filesystem allows).
 */
export function reachableSample(root: string): { node: string; script: string } {
  if (engineUserReaches(root)) return { node: nodeOf(root), script: sampleOf(root) };
  const dir = path.join(tmpdir(), `gf-reachable-engine-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const stage = (from: string, name: string, mode: number): string => {
    const to = path.join(dir, name);
    if (!existsSync(to)) {
      try {
        linkSync(from, to);
      } catch {
        copyFileSync(from, to);
      }
    }
    chmodSync(to, mode);
    return to;
  };
  return { node: stage(nodeOf(root), "node", 0o755), script: stage(sampleOf(root), "sample-engine.mjs", 0o644) };
}

/** Test `run` flags: none normally; else `--engine sample=…` naming the reachable copy (see reachableSample). */
export function reachableSampleArgs(root: string): string[] {
  if (engineUserReaches(root)) return [];
  const { node, script } = reachableSample(root);
  return ["--engine", `sample=${sampleTemplate(node, script)}`];
}
