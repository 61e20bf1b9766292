// In the sandbox an engine is the agent's own user, and the work dir and the agent's dirs in it (`jobs`, `kept`,
// `trash`, `mirrors`) are that user's: an engine could move one aside (or remove it) and put a link to a directory of
// its choosing in its place — `trash` → the state dir, which the agent, outside the sandbox, then emptied. Now each
// is bound onto itself in the sandbox (agent/sandbox-mounts), as are the work dir's parents: `mv`, `rm -rf` then
// `ln -s` on them fail, and the dir stays the agent's, while the engine still writes its own workspace as before.
// Real bwrap runs; skipped where bwrap does not work, as the other sandbox tests are.
import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectSandbox, type Sandbox, sandboxedArgv } from "../../src/agent/sandbox.ts";
import { agentWorkDirs, prepareWorkDirs, WORK_SUBDIRS } from "../../src/agent/work-dirs.ts";

const root = realpathSync(mkdtempSync(path.join(tmpdir(), "gf-sandbox-work-dirs-")));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const works =
  process.platform === "linux" && detectSandbox(path.join(root, "probe"), path.join(root, "none")) !== undefined;

/** Runs `script` with `sh` inside `box`; its exit status. */
function inside(box: Sandbox, script: string): number | null {
  const [cmd, ...args] = sandboxedArgv(["sh", "-c", script], box);
  return spawnSync(cmd as string, args, { stdio: "ignore" }).status;
}

/** A state dir and a work dir apart (`<root>/<name>/host/state`, `…/works/w`), prepared and sandboxed as `run` is. */
function host(name: string): { box: Sandbox; work: string; state: string; elsewhere: string } {
  const base = path.join(root, name);
  const state = path.join(base, "host", "state");
  mkdirSync(state, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(state, "config.json"), '{"token":"gf_fac_secret"}', { mode: 0o600 });
  const work = prepareWorkDirs(path.join(base, "works", "w"), state);
  const elsewhere = path.join(base, "elsewhere");
  mkdirSync(elsewhere, { recursive: true });
  writeFileSync(path.join(elsewhere, "precious.txt"), "keep me\n");
  const writable = [...agentWorkDirs(work), path.join(work, "checkpoints.git")];
  const box = detectSandbox(state, path.join(state, "config.json"), writable) as Sandbox;
  return { box, work, state, elsewhere };
}

const isDir = (p: string) => lstatSync(p).isDirectory();

describe.runIf(works)("the sandbox and the agent's dirs in the work dir", () => {
  it("refuses an engine's mv, rm -rf or ln -s of jobs, kept, trash and mirrors: each stays a directory", () => {
    const { box, work, state } = host("swap");
    for (const name of WORK_SUBDIRS) {
      const dir = path.join(work, name);
      writeFileSync(path.join(dir, "agent-file"), "x");
      expect(inside(box, `mv '${dir}' '${dir}.aside' && ln -s '${state}' '${dir}'`), name).not.toBe(0);
      expect(inside(box, `rm -rf '${dir}' && ln -s '${state}' '${dir}'`), name).not.toBe(0);
      expect(inside(box, `rmdir '${dir}' || { rm -rf '${dir}'/* && rmdir '${dir}'; }`), name).not.toBe(0);
      expect(isDir(dir), name).toBe(true);
    }
  });

  it("refuses a move of the work dir itself and of its parent, and keeps them directories", () => {
    const { box, work, elsewhere } = host("move");
    expect(inside(box, `mv '${work}' '${work}.aside' && ln -s '${elsewhere}' '${work}'`)).not.toBe(0);
    const parent = path.dirname(work);
    expect(inside(box, `mv '${parent}' '${parent}.aside' && ln -s '${elsewhere}' '${parent}'`)).not.toBe(0);
    expect(isDir(work) && isDir(parent)).toBe(true);
    expect(readFileSync(path.join(elsewhere, "precious.txt"), "utf8")).toBe("keep me\n");
  });

  it("lets the engine write, move and remove anything inside its own workspace, as before", () => {
    const { box, work } = host("own");
    const ws = path.join(work, "jobs", "job_1");
    mkdirSync(ws);
    const out = path.join(ws, "src", "out.txt");
    const script = `mkdir -p '${path.dirname(out)}' && echo done > '${out}' && mv '${ws}/src' '${ws}/lib' && mv '${ws}/lib' '${ws}/src' && mkdir '${ws}/tmp' && rm -rf '${ws}/tmp'`;
    expect(inside(box, script)).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("done\n");
  });
});
