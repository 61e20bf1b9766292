// A seat whose lease no renewal has kept alive for its TTL and a grace (the socket gone, or renewals refused with a
// code that is not `fenced`) stops its engine — the whole process group, grandchildren too — and reports nothing:
// the coordinator requeued the job long ago and another host may run it. Renewals that are answered keep it running.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRunning } from "../../scripts/process-tree.ts";
import { FrameError } from "../../src/agent/connection.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { artifactServer, assignment, FakeConnection, seatContext, tempAgent, until } from "./agent-fakes.ts";

let rest: Awaited<ReturnType<typeof artifactServer>>;
let scripts: string;
/** An engine that starts a child (its grandchild, for the agent), writes both pids to argv[2], and runs a minute. */
const TREE = `
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
const kid = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
writeFileSync(process.argv[2], JSON.stringify({ engine: process.pid, grandchild: kid.pid }));
console.log("working");
setTimeout(() => {}, 60_000);
`;

beforeAll(async () => {
  rest = await artifactServer();
  scripts = mkdtempSync(path.join(tmpdir(), "gf-lapse-"));
  writeFileSync(path.join(scripts, "tree.mjs"), TREE);
});
afterAll(async () => {
  rmSync(scripts, { recursive: true, force: true });
  await rest.close();
});

/** 0.5 s past the lease's known expiry (instead of max(TTL, 30 s)): the test waits for a 3 s lease, not a minute. */
const lapseGraceMs = () => 500;
/**
 * 3 s: the lease the coordinator grants here (the assignment's and every renewal's answer). Renewals go every 2.5 s
 * whatever the TTL (half of core/lease's 5 s floor), so an answered one moves the lapse 1 s before it was due — a
 * shorter TTL would lapse between two renewals however well they are answered. A resumed lease carries as little.
 */
const TTL_SECONDS = 3;

describe("a lease no renewal keeps alive", () => {
  it("stops the engine's whole process group and reports nothing once its TTL and the grace are past", async () => {
    const agent = tempAgent(rest.url);
    const pidsFile = path.join(scripts, "pids.json");
    agent.engines.set("tree", `${process.execPath} ${path.join(scripts, "tree.mjs")} ${pidsFile}`);
    try {
      const conn = new FakeConnection();
      let socketGone = false;
      conn.answer = () => {
        if (socketGone) throw new FrameError("disconnected", "not connected to the coordinator");
        return { ttlSeconds: TTL_SECONDS };
      };
      const a = { ...assignment("job_lapse", "", 1, { engine: "tree" } as never), ttlSeconds: TTL_SECONDS };
      const runner = new SeatRunner(seatContext(conn, agent, rest.url, { lapseGraceMs }), a, false);
      const pids = await until("the engine and its child", () => {
        try {
          return JSON.parse(readFileSync(pidsFile, "utf8")) as { engine: number; grandchild: number };
        } catch {
          return undefined;
        }
      });
      socketGone = true; // from here on nothing reaches the coordinator: no renewal is ever answered again
      await runner.finished;
      expect(isRunning(pids.engine)).toBe(false);
      expect(isRunning(pids.grandchild)).toBe(false);
      expect(conn.finalReport("job_lapse")).toBeUndefined();
      const lost = agent.events.find((e) => e.event === "job.lease_lost");
      expect(String(lost?.message)).toMatch(/no renewal acknowledged for \d+s/);
    } finally {
      agent.remove();
    }
  });

  it("is moved on by every answered renewal: an engine that outlives one TTL finishes and reports", async () => {
    const agent = tempAgent(rest.url);
    try {
      const conn = new FakeConnection();
      conn.answer = (f) => (f.type === "renew" ? { ttlSeconds: TTL_SECONDS } : {});
      // 5 s of work: past the 3.5 s its lease would last unrenewed (TTL and grace), so only renewals keep it.
      const a = { ...assignment("job_held", "gf-sample-seconds: 5\n"), ttlSeconds: TTL_SECONDS };
      const runner = new SeatRunner(seatContext(conn, agent, rest.url, { lapseGraceMs }), a, false);
      await runner.finished;
      expect(conn.finalReport("job_held")?.type).toBe("complete");
      expect(agent.events.some((e) => e.event === "job.lease_lost")).toBe(false);
      expect(conn.frames("renew").length).toBeGreaterThan(0);
    } finally {
      agent.remove();
    }
  });
});
