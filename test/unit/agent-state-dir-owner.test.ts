// A state dir another user owns — an `enroll` run with sudo, then `run` as the operator's own user — was refused
// `state_dir_unusable: … EPERM: operation not permitted, chmod …` with "pass a --state-dir this user can create":
// nothing said whose the dir was, and the fix led away from the token it holds. Now the refusal names the owner's uid
// and this agent's, and both ways on (run as that user, or chown the dir to this one). Root only: the dir is given to
// `nobody`, and the real agent is run as `nobody` on a dir of root's.
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stateDirUnusable } from "../../src/agent/state.ts";
import { AGENT_BIN } from "./agent-process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-state-owner-"));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;
const setpriv = spawnSync("setpriv", ["--version"]).status === 0;

describe.runIf(isRoot)("a state dir another user owns", () => {
  it("is refused naming its owner and this agent's user, with both ways on", () => {
    const state = path.join(dir, "nobodys");
    mkdirSync(state, { mode: 0o700 });
    chownSync(state, 65534, 65534);
    const err = stateDirUnusable(state, new Error("EPERM: operation not permitted, chmod"));
    expect(err).toMatchObject({ code: "state_dir_unusable", exitCode: 2 });
    expect(err.message).toContain("(it belongs to uid 65534; this agent runs as uid 0)");
    expect(err.fix).toContain(`chown -R 0 ${state}`);
    expect(stateDirUnusable(path.join(dir, "none"), new Error("ENOENT")).fix).toContain("pass a --state-dir");
  });

  it.runIf(setpriv)("the real agent run as nobody on root's state dir says so", () => {
    const state = path.join(dir, "roots");
    mkdirSync(state, { mode: 0o755 });
    const token = `gf_acme_${"T".repeat(43)}`;
    const args = ["run", "--url", "http://127.0.0.1:2", "--token", token, "--state-dir", state];
    const r = spawnSync(
      "setpriv",
      ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, AGENT_BIN, ...args],
      { encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: dir }, timeout: 20_000 },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("✘ ERROR state_dir_unusable:");
    expect(r.stderr).toContain("(it belongs to uid 0; this agent runs as uid 65534)");
  });
});
