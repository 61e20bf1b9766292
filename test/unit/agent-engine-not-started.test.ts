// An engine that exists but cannot START on this host — not executable (EACCES), its #! interpreter missing, gone
// from its path since the agent started — is this host's problem, as a missing engine is: the job is given back
// (`reject`: no attempt spent, kept from this host) with a message naming the binary, the cause and the fix, where
// it was reported as the job's permanent failure. Told apart only by what is certain (agent/engine-start): Node's spawn
// `error` event, and in the bubblewrap sandbox bwrap's status fd, which says `exit-code` only after its exec of the
// engine succeeded. An engine that started and exited 127 on its own stays the job's failure. Real SeatRunner,
// real processes, real git; the sandbox cases run only where bwrap works. Nothing ran, so no checkpoint is taken.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEngine } from "../../src/agent/engine-runner.ts";
import { whyNotStarted } from "../../src/agent/engine-start.ts";
import { detectSandbox } from "../../src/agent/sandbox.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { artifactServer, assignment, FakeConnection, seatContext, tempAgent } from "./agent-fakes.ts";

let rest: Awaited<ReturnType<typeof artifactServer>>;
const bin = mkdtempSync(path.join(tmpdir(), "gf-agent-nostart-"));
chmodSync(bin, 0o755);
beforeAll(async () => {
  rest = await artifactServer();
});
afterAll(async () => {
  await rest.close();
  rmSync(bin, { recursive: true, force: true });
});

/** A script at `bin/<name>` with `body`, mode `mode`. */
function script(name: string, body: string, mode: number): string {
  const file = path.join(bin, name);
  writeFileSync(file, body);
  chmodSync(file, mode);
  return file;
}

/** Run one job on a seat whose only engine is `template`; the frames it sent and the agent's events. */
async function runWith(template: string, id: string) {
  const agent = tempAgent(rest.url);
  try {
    const conn = new FakeConnection();
    const ctx = seatContext(conn, agent, rest.url, { engines: new Map([["eng", template]]) });
    await new SeatRunner(ctx, assignment(id, "do it\n", 1, { engine: "eng" }), false).finished;
    const record = ctx.records.read(id);
    return { conn, events: agent.events, record };
  } finally {
    agent.remove();
  }
}

describe("an engine that cannot start is this host's problem: the job is rejected, not failed", () => {
  it("not executable (EACCES): rejected, naming the binary and `chmod a+rx`", async () => {
    const file = script("noexec-engine", "#!/bin/sh\necho hi\n", 0o644);
    const { conn, events, record } = await runWith(file, "job_noexec");
    expect(conn.finalReport("job_noexec")).toBeUndefined();
    const reject = conn.frames("reject")[0];
    const reason = reject?.type === "reject" ? reject.reason : "";
    expect(reason).toContain(`engine eng cannot start on this host: ${file}: permission denied (EACCES)`);
    expect(reason).toContain(`chmod a+rx ${file}`);
    expect(events.find((e) => e.event === "engine.not_started")?.message).toContain(file);
    expect(record?.engineExit).toBeUndefined(); // a restart must not "finish" a run that never was
    // Nothing ran, so no checkpoint: the untouched workspace was pushed and recorded as the job's "final" one.
    expect(conn.sent.filter((f) => f.type === "progress" && f.checkpoint !== undefined)).toEqual([]);
  });

  it("its #! interpreter missing (ENOENT from exec): rejected, naming the interpreter", async () => {
    const file = script("badinterp-engine", "#!/nonexistent/python9\nprint(1)\n", 0o755);
    const { conn } = await runWith(file, "job_interp");
    expect(conn.finalReport("job_interp")).toBeUndefined();
    const reject = conn.frames("reject")[0];
    expect(reject?.type === "reject" ? reject.reason : "").toMatch(
      /badinterp-engine: its interpreter \/nonexistent\/python9 \(its #! line\) does not exist/,
    );
  });

  it("gone since the agent started (ENOENT): rejected, saying where it was looked for", async () => {
    const { conn } = await runWith(path.join(bin, "removed-engine"), "job_gone");
    expect(conn.finalReport("job_gone")).toBeUndefined();
    const reject = conn.frames("reject")[0];
    expect(reject?.type === "reject" ? reject.reason : "").toMatch(/removed-engine: no such file \(ENOENT\)/);
  });

  it("an engine that started and exited 127 on its own is the job's failure, not a refusal", async () => {
    const msg = "error while loading shared libraries: libfoo.so.1: cannot open shared object file";
    const file = script("exit127-engine", `#!/bin/sh\necho "${msg}" >&2\nexit 127\n`, 0o755);
    const { conn } = await runWith(file, "job_127");
    expect(conn.frames("reject")).toEqual([]);
    const report = conn.finalReport("job_127");
    expect(report?.type).toBe("fail");
    expect(report?.type === "fail" ? report.result : undefined).toMatchObject({ outcome: "failure", rc: 127 });
  });
});

describe("engine runner: only the spawn error or the sandbox's status says `not started`", () => {
  const cwd = mkdtempSync(path.join(tmpdir(), "gf-agent-nostart-cwd-"));
  chmodSync(cwd, 0o755);
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));
  const run = (argv: string[], extra: Partial<Parameters<typeof startEngine>[0]> = {}) =>
    startEngine({ argv, cwd, env: { PATH: process.env.PATH ?? "" }, stdin: "", onLine: () => {}, ...extra }).exited;

  it.runIf(process.getuid?.() === 0)(
    "run as the engine user, a binary only root may run: EACCES naming the uid",
    async () => {
      const file = script("root-only-engine", "#!/bin/sh\necho hi\n", 0o700);
      const exit = await run([file], { as: { uid: 65534, gid: 65534 } });
      expect(exit.spawnError).toContain(`${file}: permission denied (EACCES): make it executable by uid 65534`);
    },
  );

  const stateDir = path.join(cwd, "state");
  mkdirSync(stateDir, { recursive: true });
  const box = detectSandbox(stateDir, path.join(stateDir, "config.json"), [cwd], []);

  it.runIf(box?.status)(
    "in the sandbox: an engine bwrap cannot exec is `not started`, with bwrap's cause",
    async () => {
      const file = script("sandbox-noexec-engine", "#!/bin/sh\necho hi\n", 0o644);
      const exit = await run([file], { sandbox: box });
      expect(exit.spawnError).toContain(`${file}: permission denied (EACCES)`);
      const missing = await run(["gf-sandbox-missing-engine"], { sandbox: box });
      expect(missing.spawnError).toMatch(/gf-sandbox-missing-engine: not found on the engine's PATH/);
    },
  );

  it.runIf(box?.status)("in the sandbox: an engine that ran and exited 1 or 127, or was stopped, started", async () => {
    for (const rc of [1, 127]) {
      const exit = await run(["sh", "-c", `exit ${rc}`], { sandbox: box });
      expect(exit.rc).toBe(rc);
      expect(exit.spawnError).toBeUndefined();
    }
    const eng = startEngine({
      argv: ["sleep", "30"],
      cwd,
      env: { PATH: process.env.PATH ?? "" },
      stdin: "",
      onLine: () => {},
      sandbox: box,
    });
    eng.stop("cancel", 500);
    expect((await eng.exited).spawnError).toBeUndefined();
  });
});

describe("the words for an engine that did not start (agent/engine-start)", () => {
  const ctx = { env: { PATH: "/nonexistent-bin" }, cwd: bin };
  it("reads bwrap's own exec failure as exec's, and any other line of its as the sandbox's setup", () => {
    const file = script("words-engine", "#!/bin/sh\n", 0o644);
    expect(whyNotStarted(file, { message: `bwrap: execvp ${file}: Permission denied` }, ctx)).toMatch(
      /permission denied \(EACCES\): make it executable by the agent's user: chmod a\+rx/,
    );
    expect(whyNotStarted("claude", { message: "bwrap: execvp claude: No such file or directory" }, ctx)).toMatch(
      /^claude: not found on the engine's PATH \(\/nonexistent-bin\)/,
    );
    const setup = "bwrap: Can't find source path /gone: No such file or directory";
    expect(whyNotStarted("claude", { message: setup }, ctx)).toBe(
      `claude: the sandbox could not be set up (${setup}): check that bwrap works on this host`,
    );
  });
});
