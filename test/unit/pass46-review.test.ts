// Pass 46's review of the SIGTERM guard (cli/interruption, cli/main), red on main: one SIGTERM ends every guarded
// command, exit 143 (or SIGTERM raised again on itself) — `submit -` whose standard input never ends, `submit FIFO`
// (a `<(generate)` path) whose writer never writes, and `factory rotate --timeout 0` whose answer never comes each
// waited for ever after it (SIGTERM had ended them at once); a `batch submit --wait` read that fails after the signal
// ends `✘ ERROR interrupted`, 143 for SIGTERM and 130 for Ctrl-C (it exited 1 naming neither the signal nor, under
// --json, the batch it made); the guarded commands' module headers that give their exit 130 give 143 too.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import { connection, type StubReply, stubCoordinator } from "../support/cli-harness.ts";
import { holdingCoordinator, startInterruptible } from "../support/cli-interrupt.ts";
import { testTempDir } from "../support/temp-dir.ts";

const BIN = fileURLToPath(new URL("../../bin/gigafactory.mjs", import.meta.url));

/**
 * The real CLI on `argv` (`env` added to the worker's), its standard input a pipe left open (nothing written, never
 * ended); killed when the test ends.
 */
function startHeldStdin(argv: readonly string[], env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...argv], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, GIGAFACTORY_CONFIG: "/nonexistent/config.json", NO_COLOR: "1", ...env },
  });
  let [stdout, stderr, ended] = ["", "", false];
  child.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString("utf8");
  });
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString("utf8");
  });
  child.on("exit", () => {
    ended = true;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  // A hang (the fault) is ended by the test's timeout; the process must not outlive it.
  onTestFinished(() => {
    if (!ended) child.kill("SIGKILL");
  });
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    async until(what: string, check: () => boolean) {
      while (!check()) {
        if (ended) throw new Error(`the CLI ended before ${what}: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

/**
 * Whether the process ended as a shell reports 143: exit 143, or SIGTERM raised again on itself (what ends a process
 * whose thread pool is stuck in a FIFO's open(2), which process.exit waits for).
 */
const endedBySigterm = (r: { code: number | null; signal: NodeJS.Signals | null }): boolean =>
  r.code === 143 || r.signal === "SIGTERM";

/** A markdown manifest; its path. */
function manifest(dir: string): string {
  const p = path.join(dir, "a.md");
  writeFileSync(p, "# a\n");
  return p;
}

describe("pass 46 review: one SIGTERM ends a guarded command that waits on something other than an answer", () => {
  // The guard is on while submit reads its files; the first SIGTERM says "none is on its way" and then waits for
  // the read, which a pipe that never ends never finishes. A held POST of a.md is the state that says the guard is on.
  it("submit a.md - (standard input held open): ends 143 once a.md's answer came, `-` not sent", async () => {
    const { stub, held } = await holdingCoordinator();
    const run = startHeldStdin(["submit", manifest(testTempDir("gf-p46-")), "-", ...connection(stub.url, "shop")]);
    await run.until("a.md's POST held", () => held.length === 1);
    run.child.kill("SIGTERM");
    await run.until("the note", () => run.stderr().includes("SIGTERM: no more files are sent"));
    held[0]!.reply.json(201, { id: "job_a", title: "a", stage: "queued" });
    const r = await run.exited;
    expect(endedBySigterm(r)).toBe(true);
    expect(run.stderr()).toMatch(/^not sent \(1\): -$/m);
    expect(run.stderr()).toMatch(/^✘ ERROR interrupted: stopped by SIGTERM after 1 of 2 files was sent /m);
  }, 30_000);

  it("submit a.md FIFO (its writer never writes, as `<(generate)`): ends 143 once a.md's answer came", async () => {
    const dir = testTempDir("gf-p46-");
    const fifo = path.join(dir, "gen.md");
    execFileSync("mkfifo", [fifo]);
    const { stub, held } = await holdingCoordinator();
    const run = startHeldStdin(["submit", manifest(dir), fifo, ...connection(stub.url, "shop")]);
    await run.until("a.md's POST held", () => held.length === 1);
    run.child.kill("SIGTERM");
    await run.until("the note", () => run.stderr().includes("SIGTERM: no more files are sent"));
    held[0]!.reply.json(201, { id: "job_a", title: "a", stage: "queued" });
    const r = await run.exited;
    expect(endedBySigterm(r)).toBe(true);
    expect(run.stderr()).toContain(`not sent (1): ${fifo}`);
  }, 30_000);

  // --timeout 0 (or GIGAFACTORY_TIMEOUT=0) is "no limit": the first SIGTERM waits for an answer that never comes, and
  // `timeout 30 gigafactory …` sends one SIGTERM only. It ended at once before the guard took SIGTERM. The bound after
  // the signal (30 s, cli/interruption) is set to 0.2 s here by its test override, so the test does not sit it out.
  it("factory rotate --timeout 0, its POST never answered: one SIGTERM still ends it", async () => {
    const held: StubReply[] = [];
    const stub = await stubCoordinator((req, reply) => {
      if (req.method === "POST") held.push(reply);
      else reply.json(200, { factories: [{ id: "f_1", name: "box-9", status: "active", capabilities: [], seats: 1 }] });
    });
    const argv = ["factory", "rotate", "box-9", "--timeout", "0", ...connection(stub.url, "shop")];
    const run = startHeldStdin(argv, { GIGAFACTORY_AFTER_SIGNAL_MS: "200" });
    await run.until("the POST held", () => held.length === 1);
    run.child.kill("SIGTERM");
    expect(endedBySigterm(await run.exited)).toBe(true);
    expect(run.stderr()).toContain("no answer 0.2 s after SIGTERM"); // the bound it ended by: the override's
  }, 30_000);
});

// The same for Ctrl-C (130), where it was so before pass 46: one fault, both signals.
describe.each([
  ["SIGTERM", 143, "SIGTERM"],
  ["SIGINT", 130, "Ctrl-C"],
] as const)("pass 46 review: batch submit --wait, a read that fails after %s", (signal, exit, by) => {
  const ACCEPTED = { batchId: "b-1", accepted: 1, jobs: 1, idempotencyKeys: ["x"], items: [], rejected: [] };

  /** `batch submit a.md --wait`, its batch accepted, the signal while its first read back is out; that read fails 502. */
  async function waitReadFails(...extra: string[]) {
    const reads: StubReply[] = [];
    const stub = await stubCoordinator((req, reply) => {
      if (req.method === "POST") reply.json(202, ACCEPTED);
      else reads.push(reply);
    });
    const file = manifest(testTempDir("gf-p46-"));
    const run = startInterruptible(["batch", "submit", file, "--wait", ...extra, ...connection(stub.url, "shop")]);
    await run.until("the read back held", () => reads.length === 1);
    if (signal === "SIGTERM") run.sigterm();
    else run.ctrlC();
    reads[0]!.problem(502, {
      type: "https://x/bad_gateway",
      title: "t",
      status: 502,
      detail: "gateway",
      code: "bad_gateway",
    });
    return { run, code: await run.code };
  }

  it(`ends \`✘ ERROR interrupted\` (${exit}) after the read's own failure line, as a failure after it does elsewhere`, async () => {
    const { run, code } = await waitReadFails();
    expect(code).toBe(exit);
    expect(run.stderr()).toMatch(/^✘ ERROR bad_gateway: /m);
    expect(run.stderr()).toMatch(new RegExp(`^✘ ERROR interrupted: .*${by}`, "m"));
  });

  it(`--json: one document with exitCode ${exit} that still names the batch it made`, async () => {
    const { run, code } = await waitReadFails("--json");
    expect(code).toBe(exit);
    const doc = JSON.parse(run.stdout());
    expect(doc.error).toMatchObject({ code: "interrupted", exitCode: exit });
    expect(doc.batchId).toBe("b-1");
  });
});

describe("pass 46 review: module headers that give a guarded command's exit 130 give SIGTERM's 143", () => {
  it.each([
    "src/cli/commands/batch-submit.ts",
    "src/cli/commands/children.ts",
    "src/cli/commands/enroll.ts",
    "src/cli/commands/tokens.ts",
  ])("%s", (file) => {
    const header = /\/\*\*[\s\S]*?\*\//.exec(readFileSync(file, "utf8"))![0];
    expect(header).toContain("130");
    expect(header).toContain("143");
  });
});
