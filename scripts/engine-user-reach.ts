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
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
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
  const dir = stagingDir(path.join(tmpdir(), `gf-reachable-engine-${process.getuid?.() ?? 0}`));
  return {
    node: stageFile(nodeOf(root), dir, "node", 0o755),
    script: stageFile(sampleOf(root), dir, "sample-engine.mjs", 0o644),
  };
}

/**
 * `dir`, created 0755 if missing, and refused unless it is a real directory of ours that no one else can write: it
 * sits under the shared temp dir at a name anyone can guess, and root runs what it finds there (a planted link
 * would make the chmods below change the mode of any file it points at).
 */
export function stagingDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) {
    throw new Error(`${dir} is not a directory of ours that only we can write: remove it and run again`);
  }
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * `from` at `dir/name` with `mode`, complete or not at all. Test workers start at once on a first run, so two may
 * stage the same file together: each builds its own temporary copy (a hard link when the filesystem allows, else a
 * copy) and renames it into place, which is atomic — a reader sees the whole file or none, never one another worker
 * is still copying (an engine exec'd from a half-written Node fails, or `ETXTBSY` while it is open for writing).
 * A staged file of another size (an older Node) is replaced the same way.
 */
export function stageFile(from: string, dir: string, name: string, mode: number): string {
  const to = path.join(dir, name);
  const staged = lstatSync(to, { throwIfNoEntry: false });
  if (staged?.isFile() && staged.size === statSync(from).size) return to;
  const tmp = path.join(dir, `.${name}.${process.pid}.${randomBytes(6).toString("hex")}`);
  try {
    try {
      linkSync(from, tmp);
    } catch {
      copyFileSync(from, tmp);
    }
    chmodSync(tmp, mode);
    renameSync(tmp, to);
  } finally {
    rmSync(tmp, { force: true });
  }
  return to;
}

/** Test `run` flags: none normally; else `--engine sample=…` naming the reachable copy (see reachableSample). */
export function reachableSampleArgs(root: string): string[] {
  if (engineUserReaches(root)) return [];
  const { node, script } = reachableSample(root);
  return ["--engine", `sample=${sampleTemplate(node, script)}`];
}
