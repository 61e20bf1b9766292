/**
 * Once per unit run: a private temp root every test file's `os.tmpdir()` (and every process a test starts) uses,
 * removed whole when the run ends.
 *
 * Why: unit files make temp dirs by the thousand (config files, fake agents' seats, git repos) and not every one
 * removed what it made — a developer's /tmp held 1,322 `gf-ops-cfg-*` dirs after a day of runs, and a leak only
 * grows. Removing the root covers the whole kind, including dirs made by child processes a test killed, instead of
 * trusting each file's clean-up. Provides `unitTempRoot` (absolute) so a test can check it is in force.
 */
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    unitTempRoot: string;
  }
}

export default function setup(project: TestProject): () => void {
  const root = mkdtempSync(path.join(tmpdir(), "gf-unit-run-"));
  // Mode as /tmp's (world-writable, sticky): tests run engines as another user (`nobody`), who must reach their dirs.
  chmodSync(root, 0o1777);
  // Set before vitest starts its workers, which inherit it: node's tmpdir(), git and every child read TMPDIR.
  process.env.TMPDIR = root;
  project.provide("unitTempRoot", root);
  return () => removeTree(root);
}

/** Removes `dir` whole; a read-only directory a test left (an engine's module cache) gets its owner's bits first. */
function removeTree(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    writable(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

function writable(dir: string): void {
  chmodSync(dir, 0o700);
  for (const name of readdirSync(dir)) {
    const child = path.join(dir, name);
    // lstat: a link is not followed out of the tree.
    if (lstatSync(child, { throwIfNoEntry: false })?.isDirectory()) writable(child);
  }
}
