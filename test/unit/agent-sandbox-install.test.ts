// The sandbox (agent/sandbox) left everything but the state dir writable, the agent's own installation included: an
// engine — the agent's own user — could rewrite its src/ or node_modules, and the next agent start ran the engine's
// code with the factory token. Now the installation and the node binary are read-only inside (agent/sandbox-mounts),
// a work dir inside it (the demo keeps `.wrangler/demo/<name>-work` in the checkout) is writable again, and the
// parents of the installation and of the state dir cannot be renamed (a renamed parent took the protection with it,
// leaving the path to a directory of the engine's own). Real bwrap runs; skipped where bwrap does not work, as the
// other sandbox tests are.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectSandbox, type Sandbox, sandboxedArgv } from "../../src/agent/sandbox.ts";
import { agentInstallDirs } from "../../src/agent/sandbox-mounts.ts";

const root = realpathSync(mkdtempSync(path.join(tmpdir(), "gf-sandbox-install-")));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const works =
  process.platform === "linux" && detectSandbox(path.join(root, "probe"), path.join(root, "none")) !== undefined;

/** Runs `script` with `sh` inside `box`; its exit status. */
function inside(box: Sandbox, script: string): number | null {
  const [cmd, ...args] = sandboxedArgv(["sh", "-c", script], box);
  return spawnSync(cmd as string, args, { stdio: "ignore" }).status;
}

/** A package of its own under `root`: `<root>/<name>/app/pkg` with package.json and src/agent/x.ts. */
function fakeInstall(name: string): { pkg: string; state: string } {
  const pkg = path.join(root, name, "app", "pkg");
  mkdirSync(path.join(pkg, "src", "agent"), { recursive: true });
  writeFileSync(path.join(pkg, "package.json"), '{"name":"gigafactory"}');
  writeFileSync(path.join(pkg, "src", "agent", "x.ts"), "export {};\n");
  const state = path.join(root, name, "host", "state");
  mkdirSync(state, { recursive: true, mode: 0o700 });
  return { pkg, state };
}

describe("the agent's installation", () => {
  it("is the directory of this package's package.json, or the node_modules it is installed in", () => {
    const dirs = agentInstallDirs();
    expect(JSON.parse(readFileSync(path.join(dirs[0] as string, "package.json"), "utf8")).name).toBe("gigafactory");
    const nested = path.join(root, "proj", "node_modules", "gigafactory", "src", "agent");
    mkdirSync(nested, { recursive: true });
    writeFileSync(path.join(root, "proj", "node_modules", "gigafactory", "package.json"), "{}");
    expect(agentInstallDirs(nested)[0]).toBe(path.join(root, "proj", "node_modules"));
    expect(agentInstallDirs(nested)).toContain(realpathSync(process.execPath));
  });
});

describe.runIf(works)("the sandbox and the agent's installation", () => {
  it("refuses an engine's write in this checkout, in its node_modules and to the node binary", () => {
    const state = path.join(root, "real-state");
    mkdirSync(state, { mode: 0o700 });
    const box = detectSandbox(state, path.join(state, "config.json")) as Sandbox;
    const [install] = agentInstallDirs();
    const name = `gf-sandbox-planted-${process.pid}.ts`;
    const targets = [path.join(install as string, "src", "agent", name), path.join(install as string, name)];
    targets.push(path.join(realpathSync(path.join(install as string, "node_modules")), name));
    try {
      for (const file of targets) {
        expect(inside(box, `echo 'evil' > '${file}'`), file).not.toBe(0);
        expect(existsSync(file), file).toBe(false);
      }
      // The node binary: asked, not written (a failed protection would break node for the whole host).
      expect(inside(box, `test -w '${realpathSync(process.execPath)}'`)).not.toBe(0);
    } finally {
      for (const file of targets) rmSync(file, { force: true });
    }
  });

  it("lets the engine write its work dir inside the installation, and nothing else there", () => {
    const { pkg, state } = fakeInstall("demo");
    const work = path.join(pkg, ".wrangler", "demo", "demo-docker-work");
    const box = detectSandbox(state, path.join(state, "config.json"), [work], agentInstallDirs(path.join(pkg, "src")));
    expect(box).toBeDefined();
    expect(existsSync(work)).toBe(true); // made by the agent: inside the read-only tree an engine could not
    const out = path.join(work, "jobs", "job_1", "out.txt");
    expect(inside(box as Sandbox, `mkdir -p '${path.dirname(out)}' && echo done > '${out}'`)).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("done\n");
    expect(inside(box as Sandbox, `echo evil > '${path.join(pkg, "src", "agent", "x.ts")}'`)).not.toBe(0);
    expect(inside(box as Sandbox, `echo evil > '${path.join(pkg, ".wrangler", "planted")}'`)).not.toBe(0);
    expect(readFileSync(path.join(pkg, "src", "agent", "x.ts"), "utf8")).toBe("export {};\n");
  });

  it("keeps the parents of the installation and of the state dir from being renamed, the rest writable", () => {
    const { pkg, state } = fakeInstall("moves");
    const box = detectSandbox(state, path.join(state, "config.json"), [], agentInstallDirs(pkg)) as Sandbox;
    const base = path.join(root, "moves");
    expect(inside(box, `mv '${path.join(base, "app")}' '${path.join(base, "app2")}'`)).not.toBe(0);
    expect(inside(box, `mv '${path.join(base, "host")}' '${path.join(base, "host2")}'`)).not.toBe(0);
    expect(existsSync(pkg) && existsSync(state)).toBe(true);
    expect(inside(box, `mkdir '${path.join(base, "other")}' && mv '${path.join(base, "other")}' '${base}/o2'`)).toBe(0);
  });
});
