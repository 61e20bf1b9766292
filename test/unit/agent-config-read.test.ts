// What is at the agent's config path, read once and safely (agent/config-read): at the state dir's own config.json a
// FIFO is refused at once as `config_unreadable` (it hung `run` for good, before a word), as is a link to a device
// (/dev/zero was read whole) while a link to a regular file is read, and a file past 64 KiB is refused unread as
// `config_invalid`; an explicit `--config /dev/fd/N` — bash's `--config <(…)`, how a script hands over a token
// without a file — is read (it was read twice, the first read to hide its token emptied the pipe, and `run` said
// "/dev/fd/3 is not valid JSON"), and an explicit one past 64 KiB is told to name the file itself, not to enroll
// again. A FIFO or a link at a job record's name in jobs/ is reported and moved aside, not waited on. The real agent
// process, killed after each test if still running.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { JobRecords } from "../../src/agent/state.ts";
import { until } from "./agent-fakes.ts";
import { AGENT_BIN, OFFLINE_TOKEN, offlineRunArgs, startAgent } from "./agent-process.ts";

const CLEARED = { GIGAFACTORY_URL: "", GIGAFACTORY_PRODUCT: "", GIGAFACTORY_FACTORY_TOKEN: "" };
const root = mkdtempSync(path.join(tmpdir(), "gf-agent-config-read-"));
const running: Array<{ stop: (s: NodeJS.Signals) => Promise<unknown> }> = [];
afterEach(async () => {
  for (const agent of running.splice(0)) await agent.stop("SIGKILL");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh state dir (0700) with `plant` run on its config.json path. */
function stateDir(name: string, plant: (file: string) => void): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  plant(path.join(dir, "config.json"));
  return dir;
}

/** `run` on `dir` with no flags but the state dir: what the config says is all it has. */
async function runOn(dir: string) {
  const agent = startAgent(["run", "--state-dir", dir]);
  running.push(agent);
  return { code: await agent.exited, out: agent.out() };
}

describe("the state dir's own config.json", () => {
  it("a FIFO: refused at once as config_unreadable, not waited on", async () => {
    const dir = stateDir("fifo", (file) => execFileSync("mkfifo", [file]));
    const r = await runOn(dir);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toContain(
      `✘ ERROR config_unreadable: ${dir}/config.json is not a regular file (a pipe, a socket or a device) / remove it`,
    );
  });

  it("a link to a device: refused, not read; a link to a regular file (a secrets manager's): read", async () => {
    const dir = stateDir("link", (file) => symlinkSync("/dev/zero", file));
    const r = await runOn(dir);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toContain(`✘ ERROR config_unreadable: ${dir}/config.json is not a regular file`);
    const secret = path.join(root, "secret.json");
    writeFileSync(secret, JSON.stringify({ url: "http://127.0.0.1:2", token: OFFLINE_TOKEN, seats: "many" }));
    const linked = stateDir("link-file", (file) => symlinkSync(secret, file));
    const read = await runOn(linked);
    expect(read.out).toContain(`✘ ERROR config_invalid: ${linked}/config.json: seats:`); // its text was read
  });

  it("a file past 64 KiB: refused unread as config_invalid", async () => {
    const dir = stateDir("huge", (file) => {
      writeFileSync(file, "");
      truncateSync(file, 512 * 1024 * 1024);
    });
    const r = await runOn(dir);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toContain(
      `✘ ERROR config_invalid: ${dir}/config.json is 536870912 bytes; a config file is at most 65536 bytes`,
    );
  });
});

describe("an explicit --config that is no config", () => {
  it("past 64 KiB (/dev/zero): refused and told to name the file itself, not to enroll again (that writes another)", async () => {
    const agent = startAgent(["run", "--state-dir", path.join(root, "explicit-zero"), "--config", "/dev/zero"]);
    running.push(agent);
    expect(await agent.exited).toBe(2);
    const line = agent
      .out()
      .split("\n")
      .find((l) => l.startsWith("✘ ERROR config_invalid: /dev/zero holds more than"));
    expect(line, agent.out()).toContain(" / name the config file itself with --config (one `gigafactory-agent enroll`");
    expect(line).not.toContain("enroll` again");
  });
});

describe("an explicit --config that is a pipe: bash's --config <(…)", () => {
  it("is read once: the agent starts on what it holds", async () => {
    const dir = path.join(root, "piped");
    const config = { url: "http://127.0.0.1:2", token: OFFLINE_TOKEN, name: "piped-host" };
    const offline = offlineRunArgs(dir); // run --state-dir DIR --url U --token T …: URL and token from the pipe instead
    const args = [process.execPath, AGENT_BIN, ...offline.slice(0, 3), ...offline.slice(7)];
    const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    const child = spawn("bash", ["-c", `exec ${quoted} --config <(printf %s "$GF_TEST_CONFIG")`], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...CLEARED, GF_TEST_CONFIG: JSON.stringify(config) },
    });
    const exited = new Promise((r) => child.once("exit", r));
    running.push({
      stop: async (signal) => {
        if (child.exitCode === null) child.kill(signal);
        return exited;
      },
    });
    let out = "";
    for (const stream of [child.stdout, child.stderr])
      stream.setEncoding("utf8").on("data", (d: string) => {
        out += d;
      });
    await until("the agent connecting, or its exit", () => out.includes("connecting to") || child.exitCode !== null);
    expect(out).toMatch(/^· connecting to ws:\/\/127\.0\.0\.1:2\/api\/v1\/products\/acme\//m); // product: the token's
    expect(out).not.toContain("ERROR");
  });
});

describe("a job record that is no regular file", () => {
  it("a FIFO or a link in jobs/: reported and moved aside, not waited on or followed", () => {
    const dir = path.join(root, "records");
    mkdirSync(path.join(dir, "jobs"), { recursive: true });
    execFileSync("mkfifo", [path.join(dir, "jobs", "job_fifo.json")]);
    symlinkSync("/dev/zero", path.join(dir, "jobs", "job_link.json"));
    // Listed in a child: a FIFO read by path blocks the thread, which no test timeout would interrupt.
    const script = `import { basename } from "node:path";
      import { JobRecords } from ${JSON.stringify(path.resolve(import.meta.dirname, "../../src/agent/state.ts"))};
      const said = [];
      const list = new JobRecords(${JSON.stringify(dir)}, (f, problem) => said.push(basename(f) + ": " + problem)).list();
      console.log(JSON.stringify({ list, said: said.sort() }));`;
    const text = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(JSON.parse(text)).toEqual({
      list: [],
      said: ["job_fifo.json: not a regular file", "job_link.json: a symbolic link"],
    });
    expect(existsSync(path.join(dir, "jobs", "job_fifo.json.corrupt"))).toBe(true);
    expect(new JobRecords(dir, () => undefined).list()).toEqual([]);
  });
});
