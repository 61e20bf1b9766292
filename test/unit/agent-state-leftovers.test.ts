// A kill -9 between a job record's write and its rename left `jobs/<job>.json.<pid>.tmp` in the state dir for ever
// (agent/state `JobRecords` writes by agent/exclusive-file `replaceAtomically`, as the config is written). `run` now
// removes them at start with the config's (agent/state-leftovers): only that pattern in `jobs/`, only regular files,
// only of a pid that is not alive — the records themselves, a live process's temp, a link planted at such a name and
// other names are left alone. The real agent process (`run`, offline) says what it removed.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeStaleTemps } from "../../src/agent/state-leftovers.ts";
import { until } from "./agent-fakes.ts";
import { deadPid, offlineRunArgs, startAgent } from "./agent-process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-state-leftovers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("temporary job records a killed agent left", () => {
  it("only a dead pid's regular files of exactly that pattern are removed from jobs/", () => {
    const state = path.join(dir, "unit");
    const jobs = path.join(state, "jobs");
    mkdirSync(jobs, { recursive: true });
    const outside = path.join(dir, "outside.txt");
    writeFileSync(outside, "kept");
    const files = [
      "job_1.json.111.tmp",
      "job_2.json.222.tmp",
      `job_3.json.${process.pid}.tmp`,
      "job_4.json",
      "job_5.json.corrupt",
      "job_6.json.tmp",
      "job_7.json.0.tmp",
      "job_8.json.12x.tmp",
      "job_9.json.444.tmp.bak",
      "job.x.json.555.tmp",
    ];
    for (const f of files) writeFileSync(path.join(jobs, f), "{}");
    symlinkSync(outside, path.join(jobs, "job_10.json.888.tmp"));
    writeFileSync(path.join(state, "job_11.json.999.tmp"), "{}"); // a record's name outside jobs/: not ours
    const removed = removeStaleTemps(state, (pid) => pid === 222);
    expect(removed).toEqual([path.join("jobs", "job_1.json.111.tmp")]);
    expect(readdirSync(jobs).sort()).toEqual(
      [...files.filter((f) => f !== "job_1.json.111.tmp"), "job_10.json.888.tmp"].sort(),
    );
    expect(existsSync(path.join(state, "job_11.json.999.tmp"))).toBe(true);
    expect(existsSync(outside)).toBe(true);
  });

  it("run removes a dead agent's at start and says so; the record and a live process's stay", async () => {
    const state = path.join(dir, "run");
    mkdirSync(path.join(state, "jobs"), { recursive: true, mode: 0o700 });
    const stale = `job_k.json.${deadPid()}.tmp`;
    const live = `job_k.json.${process.pid}.tmp`; // this test runner: alive
    for (const name of [stale, live]) writeFileSync(path.join(state, "jobs", name), "{}", { mode: 0o600 });
    const agent = startAgent([...offlineRunArgs(state), "--json"]);
    try {
      const said = await until("state.leftovers_removed", () =>
        agent.events().find((e) => e.event === "state.leftovers_removed"),
      );
      expect(said.removed).toEqual([path.join("jobs", stale)]);
      expect(said.message).toContain("temporary job records left by an agent killed mid-write");
      expect(said.message).not.toContain("token");
      expect(existsSync(path.join(state, "jobs", stale))).toBe(false);
      expect(existsSync(path.join(state, "jobs", live))).toBe(true);
    } finally {
      await agent.stop();
    }
  });
});
