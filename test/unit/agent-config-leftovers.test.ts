// A kill -9 between the config's write and its rename left `config.json.<pid>.tmp` (0600, holding a token) in the
// state dir for ever. `run` and `enroll` now remove such files at start (agent/state-leftovers): only that pattern
// (and enroll's `enroll-nonce.json.<pid>.tmp`), only regular files, only of a pid that is not alive — a live
// process's, this process's, a directory or a link planted at such a name, and every other name are left alone. The
// real agent process (`run`, offline) says what it removed.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeStaleTemps } from "../../src/agent/state-leftovers.ts";
import { until } from "./agent-fakes.ts";
import { deadPid, offlineRunArgs, startAgent } from "./agent-process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-config-leftovers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("temporary config files a killed agent left", () => {
  it("only a dead pid's regular files of exactly that pattern are removed", () => {
    const state = path.join(dir, "unit");
    mkdirSync(state);
    const outside = path.join(dir, "outside.txt");
    writeFileSync(outside, "kept");
    const files = [
      "config.json.111.tmp",
      "config.json.222.tmp",
      `config.json.${process.pid}.tmp`,
      "enroll-nonce.json.333.tmp",
      "config.json",
      "config.json.tmp",
      "config.json.0.tmp",
      "config.json.12x.tmp",
      "config.json.444.tmp.bak",
      "jobs.json.555.tmp",
      "xconfig.json.556.tmp",
    ];
    for (const f of files) writeFileSync(path.join(state, f), "{}");
    mkdirSync(path.join(state, "config.json.777.tmp"));
    symlinkSync(outside, path.join(state, "config.json.888.tmp"));
    const asked: number[] = [];
    const removed = removeStaleTemps(state, (pid) => {
      asked.push(pid);
      return pid === 222;
    });
    expect(removed.sort()).toEqual(["config.json.111.tmp", "enroll-nonce.json.333.tmp"]);
    expect(readdirSync(state).sort()).toEqual(
      [...files.filter((f) => !removed.includes(f)), "config.json.777.tmp", "config.json.888.tmp"].sort(),
    );
    expect(existsSync(outside)).toBe(true);
    expect(asked).not.toContain(process.pid);
    expect(removeStaleTemps(path.join(dir, "absent"))).toEqual([]);
  });

  it("run removes a dead agent's at start and says so; a live process's stays", async () => {
    const state = path.join(dir, "run");
    mkdirSync(state, { mode: 0o700 });
    const stale = `config.json.${deadPid()}.tmp`;
    const live = `config.json.${process.pid}.tmp`; // this test runner: alive
    writeFileSync(path.join(state, stale), '{"token":"x"}', { mode: 0o600 });
    writeFileSync(path.join(state, live), '{"token":"x"}', { mode: 0o600 });
    const agent = startAgent([...offlineRunArgs(state), "--json"]);
    try {
      const events = agent.events;
      const said = await until("state.leftovers_removed", () =>
        events().find((e) => e.event === "state.leftovers_removed"),
      );
      expect(said.removed).toEqual([stale]);
      expect(said.message).toContain("temporary config left by an agent killed mid-write");
      expect(existsSync(path.join(state, stale))).toBe(false);
      expect(existsSync(path.join(state, live))).toBe(true);
    } finally {
      await agent.stop();
    }
  });
});
