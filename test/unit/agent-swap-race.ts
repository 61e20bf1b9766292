// What the removal-race tests share (agent/workspace-removal, mirror-hygiene): a state dir full of the agent's
// files, a directory full of an engine's, and a process standing for the engine that swaps that directory for a
// link to the state dir at the removal's first delete — the race an agent removing by path outside the sandbox loses.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";

/** 5,000 files: the removal is still listing them by name when the swap lands (it takes a few ms to react). */
export const FILES = 5_000;
const names = Array.from({ length: FILES }, (_, i) => `f${i}`);

/** Fills `dir` with FILES files of `whose` text (and, for a state dir, a config.json holding a token). */
export function fill(dir: string, whose: "agent" | "engine"): void {
  for (const n of names) writeFileSync(path.join(dir, n), `the ${whose}'s\n`);
  if (whose === "agent") writeFileSync(path.join(dir, "config.json"), '{"token":"gf_fac_secret"}', { mode: 0o600 });
}

/** The state dir lost nothing: every file and the token are still there. */
export function expectStateIntact(state: string): void {
  expect(readdirSync(state).length).toBe(FILES + 1);
  expect(readFileSync(path.join(state, "config.json"), "utf8")).toContain("gf_fac_secret");
}

/** The "engine": swaps `dir` for a link to `target` at the first change in it, then exits. Resolves once watching. */
function swapper(dir: string, target: string): Promise<{ pid: number; done: Promise<unknown> }> {
  const script = `const fs = require("node:fs");
const [dir, target] = process.argv.slice(1);
const w = fs.watch(dir, () => { w.close(); fs.renameSync(dir, dir + ".aside"); fs.symlinkSync(target, dir); process.exit(0); });
process.stdout.write("ready\\n");`;
  const child = spawn(process.execPath, ["-e", script, dir, target], { stdio: ["ignore", "pipe", "inherit"] });
  const done = new Promise((r) => child.once("exit", r));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.stdout.once("data", () => resolve({ pid: child.pid as number, done }));
  });
}

/**
 * Runs `removal` while the "engine" waits to swap `dir` for a link to `target`; resolves once it has swapped (the
 * removal's first delete woke it) — whether the removal succeeded or not: where it led is what the tests check.
 */
export async function raceSwap(dir: string, target: string, removal: () => Promise<unknown>): Promise<void> {
  const engine = await swapper(dir, target);
  try {
    await removal().catch(() => undefined);
    await engine.done;
  } finally {
    try {
      process.kill(engine.pid);
    } catch {
      /* exited */
    }
  }
}
