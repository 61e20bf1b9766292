// A second SIGTERM/SIGINT/SIGHUP while the agent drains kills its engines at once and exits with 128 + that signal's
// number (SIGTERM 143, as the start-up's interrupt: close-codes signalExitCode; a parent gone is a hangup, SIGHUP's
// 129, as npm start's own stopExitCode says), leaving no engine process behind — the engine's whole process group,
// grandchildren included, is SIGKILLed before the exit, not after a grace; a report under way is waited for up to
// REPORT_WAIT_MS first (test/unit/agent-reporting-exit), and the agent's --help says so, not "exits at once".
// Real engine processes under a Supervisor on a fake coordinator connection.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRunning } from "../../scripts/process-tree.ts";
import { stopExitCode } from "../../scripts/stop-signals.ts";
import { USAGE } from "../../src/agent/cli-args.ts";
import { PARENT_EXITED, signalExitCode } from "../../src/agent/close-codes.ts";
import { REPORT_WAIT_MS } from "../../src/agent/seat-stops.ts";
import { Supervisor } from "../../src/agent/supervisor.ts";
import { artifactServer, assignment, FakeConnection, tempAgent, until } from "./agent-fakes.ts";

let rest: Awaited<ReturnType<typeof artifactServer>>;
let scripts: string;
/** An engine that starts a child (its grandchild, for the agent), writes both pids to argv[2], and runs a minute. */
const TREE = `
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
const kid = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
writeFileSync(process.argv[2], JSON.stringify({ engine: process.pid, grandchild: kid.pid }));
process.on("SIGTERM", () => {}); // an engine that ignores the polite request
setTimeout(() => {}, 60_000);
`;

beforeAll(async () => {
  rest = await artifactServer();
  scripts = mkdtempSync(path.join(tmpdir(), "gf-signal-"));
  writeFileSync(path.join(scripts, "tree.mjs"), TREE);
});
afterAll(async () => {
  rmSync(scripts, { recursive: true, force: true });
  await rest.close();
});

describe("a second signal while draining", () => {
  it("exits with 128 + the second signal's number, the engine and its grandchild already dead", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 60_000 });
    const pidsFile = path.join(scripts, "pids.json");
    agent.engines.set("tree", `${process.execPath} ${path.join(scripts, "tree.mjs")} ${pidsFile}`);
    try {
      let conn: FakeConnection | undefined;
      const sup = new Supervisor({
        cfg: agent.cfg,
        out: agent.out,
        engines: agent.engines,
        hello: { capabilities: [], seats: 1, engines: ["tree"], agentVersion: "test" },
        connect: (o) => {
          conn = new FakeConnection(o);
          return conn.asConnection();
        },
      });
      const exited = sup.run();
      (conn as FakeConnection).welcome([assignment("job_sig", "", 1, { engine: "tree" } as never)]);
      const pids = await until("the engine and its child", () => {
        try {
          return JSON.parse(readFileSync(pidsFile, "utf8")) as { engine: number; grandchild: number };
        } catch {
          return undefined;
        }
      });
      void sup.drain("SIGINT");
      await until("draining", () => agent.events.some((e) => e.event === "draining"));
      expect(isRunning(pids.engine)).toBe(true); // the first signal drains: running jobs go on
      void sup.drain("SIGTERM");
      expect(await exited).toBe(143); // the SIGTERM's, not the first signal's 130
      await until("the engine's group gone", () => !isRunning(pids.engine) && !isRunning(pids.grandchild), 3_000);
    } finally {
      agent.remove();
    }
  });
});

describe("the agent's --help", () => {
  it("says a second signal kills the engines at once and waits for the reports under way; a third exits at once", () => {
    const signals = USAGE.slice(USAGE.indexOf("SIGTERM, SIGINT, SIGHUP"), USAGE.indexOf("SIGUSR2")).replace(
      /\s+/g,
      " ",
    );
    expect(signals).toContain("second one kills the engines at once");
    expect(signals).toContain(`waits up to ${REPORT_WAIT_MS / 1000} s for the reports under way`);
    expect(signals).toContain("a third exits at once");
    expect(signals).not.toMatch(/second one exits at once/);
  });
});

describe("signalExitCode", () => {
  it("is 128 + the signal's number, and a parent gone is a hangup: SIGHUP's 129", () => {
    expect([signalExitCode("SIGINT"), signalExitCode("SIGTERM"), signalExitCode("SIGHUP")]).toEqual([130, 143, 129]);
    expect(signalExitCode(PARENT_EXITED)).toBe(129);
  });

  it("is npm start's rule for every stop request (scripts/stop-signals stopExitCode)", () => {
    for (const why of ["SIGINT", "SIGTERM", "SIGHUP", PARENT_EXITED] as const)
      expect(signalExitCode(why), why).toBe(stopExitCode(why));
  });
});

describe("a drain the parent's going started", () => {
  it("forced by that same reason exits 129, not an interrupt's 130", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 60_000 });
    try {
      let conn: FakeConnection | undefined;
      const sup = new Supervisor({
        cfg: agent.cfg,
        out: agent.out,
        engines: agent.engines,
        hello: { capabilities: [], seats: 1, engines: [], agentVersion: "test" },
        connect: (o) => {
          conn = new FakeConnection(o);
          return conn.asConnection();
        },
      });
      const exited = sup.run();
      (conn as FakeConnection).welcome([]);
      void sup.drain(PARENT_EXITED);
      void sup.drain(PARENT_EXITED); // the watch fires once today: the rule, should a second request come that way
      expect(await exited).toBe(129);
      expect(agent.events.some((e) => e.event === "exit.forced")).toBe(true);
    } finally {
      agent.remove();
    }
  });
});
