// The sandbox (agent/sandbox) hides the state dir under an empty tmpfs and a config file outside it under /dev/null.
// A `config.json` in the state dir that is a link to the secret elsewhere (as a secrets manager places it) was taken
// for inside the state dir: the tmpfs hid the link, and the engine read the token through the link's target. The
// config file is now hidden at its real path. Needs a working bwrap (skipped without one).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectSandbox, type Sandbox, sandboxedArgv } from "../../src/agent/sandbox.ts";

const dir = realpathSync(mkdtempSync(path.join(tmpdir(), "gf-sandbox-link-")));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const works =
  process.platform === "linux" && detectSandbox(path.join(dir, "probe"), path.join(dir, "none")) !== undefined;

/** What `cat file` prints inside `box`. */
function readInside(box: Sandbox, file: string): string {
  const [cmd, ...args] = sandboxedArgv(["cat", file], box);
  return spawnSync(cmd as string, args, { encoding: "utf8" }).stdout;
}

describe.runIf(works)("the sandbox and a config file that is a link", () => {
  it("hides the secret a config.json in the state dir links to", () => {
    const state = path.join(dir, "state");
    const secret = path.join(dir, "secrets", "gigafactory.json");
    mkdirSync(state);
    mkdirSync(path.dirname(secret));
    writeFileSync(secret, '{"token":"gf_fac_secret"}');
    symlinkSync(secret, path.join(state, "config.json"));
    const box = detectSandbox(state, path.join(state, "config.json")) as Sandbox;
    expect(readInside(box, secret)).not.toContain("gf_fac_secret");
    expect(readInside(box, path.join(state, "config.json"))).not.toContain("gf_fac_secret");
    expect(box.hideFiles).toEqual([secret]);
  });

  it("hides a config.json in the state dir with the state dir alone", () => {
    const state = path.join(dir, "state2");
    mkdirSync(state);
    writeFileSync(path.join(state, "config.json"), '{"token":"gf_fac_secret"}');
    const box = detectSandbox(state, path.join(state, "config.json")) as Sandbox;
    expect(box.hideFiles).toEqual([]);
    expect(readInside(box, path.join(state, "config.json"))).not.toContain("gf_fac_secret");
  });
});
