// No git the agent runs can wait for an answer on the agent's terminal, and what it reports hides a repo URL's
// userinfo. The agent's own code (agent/workspace preparing a job) runs in a child process under a real
// pseudo-terminal (`script` from util-linux), with real git against loopback remotes: an https one that answers
// every request 401, with an operator's credential helper that would ask on /dev/tty; an ssh one through the
// operator's GIT_SSH_COMMAND, a stand-in that records its argv and whether it could open /dev/tty. Before, both
// opened the terminal (ssh prompts there for host keys and passwords, waiting for ever; no BatchMode either), and
// the failure message quoted `git clone … http://alice:<password>@…` as it went to the job log and coordinator.
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hideUserinfo } from "../../src/agent/git-env.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-git-no-prompt-"));
const requests: string[] = [];
/** An https-like remote that refuses everyone: 401 with a Basic challenge, so git wants credentials. */
const server = createServer((req, res) => {
  requests.push(`${req.url} ${req.headers.authorization ? "with credentials" : "anonymous"}`);
  res.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"' });
  res.end("no\n");
});
let base = "";
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

/** A shell script at `name` that notes (in `<name>.log`) its argv and whether /dev/tty opened, then fails. */
function recorder(name: string): { file: string; log: string } {
  const file = path.join(root, name);
  const log = `${file}.log`;
  const body = `#!/bin/sh
echo "argv: $*" >> '${log}'
if (exec 3<>/dev/tty) 2>/dev/null; then echo "tty: open" >> '${log}'; else echo "tty: none" >> '${log}'; fi
echo "${name}: refused" >&2
exit 255
`;
  writeFileSync(file, body);
  chmodSync(file, 0o755);
  return { file, log };
}

/**
 * Prepare a job's workspace for `repo` in a child node process on a pseudo-terminal of its own, with `env` added;
 * what it printed (JSON: whether it had a terminal, and the preparation's error message).
 */
async function prepareOnTerminal(repo: string, env: Record<string, string>): Promise<{ tty: boolean; error?: string }> {
  const out = path.join(root, `out-${Math.random().toString(36).slice(2)}.json`);
  const driver = path.join(root, "driver.ts");
  const src = path.resolve("src/agent/workspace.ts");
  writeFileSync(
    driver,
    `import { openSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { prepareWorkspace } from ${JSON.stringify(src)};
let tty = false;
try { openSync("/dev/tty", "r+"); tty = true; } catch {}
const [repo, out, work] = process.argv.slice(2);
const job = { id: "np1", title: "t", attempt: 1, leaseEpoch: 1, budget: {}, repo };
try {
  await prepareWorkspace(job, { workDir: work + "/w", checkpointRemote: work + "/cp.git" });
  writeFileSync(out, JSON.stringify({ tty }));
} catch (err) {
  writeFileSync(out, JSON.stringify({ tty, error: err.message }));
}
`,
  );
  const work = mkdtempSync(path.join(root, "host-"));
  const cmd = [process.execPath, driver, repo, out, work].map((a) => `'${a}'`).join(" ");
  // `script` gives the child a controlling terminal (a pty), as an agent started in an operator's shell has.
  // Not spawnSync: the loopback server answering git runs in this very process.
  const child = spawn("script", ["-qec", cmd, "/dev/null"], { env: { ...process.env, ...env }, stdio: "ignore" });
  const code = await new Promise((r) => child.on("close", r));
  expect(code).toBe(0);
  return JSON.parse(readFileSync(out, "utf8"));
}

describe("git run by the agent on a terminal", () => {
  it("an https remote answering 401 fails at once, a credential helper finding no terminal, the password hidden", async () => {
    const helper = recorder("credential-helper");
    // The operator's own config, passed as git allows it through the environment (kept by agent/git-neutral).
    const env = { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "credential.helper", GIT_CONFIG_VALUE_0: helper.file };
    const withPassword = await prepareOnTerminal(`${base.replace("//", "//alice:s3cret-pw@")}/app.git`, env);
    expect(withPassword.tty).toBe(true); // the child had a terminal git could have prompted on
    expect(requests.some((r) => r.endsWith("with credentials"))).toBe(true);
    expect(withPassword.error).toMatch(/could not prepare|Authentication failed|401|prompts disabled/);
    expect(withPassword.error).not.toContain("s3cret-pw");
    expect(withPassword.error).not.toContain("alice");
    const anonymous = await prepareOnTerminal(`${base}/other.git`, env);
    expect(anonymous.error).toMatch(/terminal prompts disabled|Authentication failed/);
    const log = readFileSync(helper.log, "utf8");
    expect(log).toContain("argv: get");
    expect(log).not.toContain("tty: open");
  });

  it("ssh through the operator's GIT_SSH_COMMAND runs with BatchMode=yes and no terminal to ask on", async () => {
    const ssh = recorder("fake-ssh");
    const result = await prepareOnTerminal("ssh://git@127.0.0.1/app.git", { GIT_SSH_COMMAND: `${ssh.file} -4` });
    expect(result.tty).toBe(true);
    expect(result.error).toMatch(/correct access rights/);
    const log = readFileSync(ssh.log, "utf8");
    expect(log).toMatch(/argv: -4 -o BatchMode=yes/);
    expect(log).toContain("tty: none");
    expect(log).not.toContain("tty: open");
  });
});

describe("hideUserinfo", () => {
  it("hides a URL's whole userinfo (a token as the user name too) and leaves scp-like and plain text alone", () => {
    expect(hideUserinfo("fatal: 'https://u:p@ss@h.example/x.git' and http://ghp_abc@github.com/o/r")).toBe(
      "fatal: 'https://…@h.example/x.git' and http://…@github.com/o/r",
    );
    expect(hideUserinfo("git@github.com:o/r.git a@b")).toBe("git@github.com:o/r.git a@b");
  });
});
