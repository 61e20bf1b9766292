// The agent's files: a private config (0600 in a 0700 dir) and job records whose `ended` comes last.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { outcomeLine, reportFrame } from "../../src/agent/report.ts";
import { configPath, JobRecords, readConfigFile, writeConfigFile } from "../../src/agent/state.ts";
import { FixableError } from "../../src/shared/fixable-error.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-state-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("config file", () => {
  it("is written 0600 inside a 0700 state dir, even over a looser existing dir", () => {
    const dir = path.join(root, "state");
    mkdirSync(dir, { mode: 0o755 });
    const file = writeConfigFile(dir, { url: "http://u", product: "p", token: "gf_secret", factoryId: "fac_1" });
    expect(file).toBe(configPath(dir));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readConfigFile(file)).toMatchObject({ token: "gf_secret", factoryId: "fac_1" });
    expect(readdirSync(dir)).toEqual(["config.json"]); // no temp file left behind
  });

  it("makes only the state dir private, not the parents it creates (a work dir beside it must stay reachable)", () => {
    const dir = path.join(root, "fleet", "host-a");
    writeConfigFile(dir, { token: "gf_secret" });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.dirname(dir)).mode & 0o077).not.toBe(0);
  });

  it("reads a missing file as empty and names a broken one", () => {
    expect(readConfigFile(path.join(root, "nope.json"))).toEqual({});
    const bad = path.join(root, "bad.json");
    writeFileSync(bad, "{nope");
    expect(() => readConfigFile(bad)).toThrow(FixableError);
    expect(() => readConfigFile(bad)).toThrow(expect.objectContaining({ code: "config_invalid", exitCode: 2 }));
    writeFileSync(bad, JSON.stringify({ seats: 0 }));
    expect(() => readConfigFile(bad)).toThrow(/seats/);
  });
});

describe("job records", () => {
  it("round-trip, and a report is kept before `ended` is set", () => {
    const records = new JobRecords(path.join(root, "s2"));
    expect(records.read("job_1")).toBeUndefined();
    const base = { jobId: "job_1", leaseEpoch: 3, attempt: 1, startedAt: 1 };
    records.write(base);
    const report = { type: "complete" as const, result: { outcome: "success" as const, rc: 0 } };
    records.write({ ...base, report });
    expect(records.read("job_1")).toEqual({ ...base, report });
    records.write({ ...base, report, ended: 9 });
    expect(records.read("job_1")?.ended).toBe(9);
    expect(statSync(path.join(root, "s2", "jobs", "job_1.json")).mode & 0o777).toBe(0o600);
  });
});

describe("report frames and lines", () => {
  it("turns a stored report into a complete or fail frame", () => {
    const ok = reportFrame("job_1", 2, {
      type: "complete",
      result: { outcome: "success", rc: 0 },
      insights: { tokensIn: 1 },
    });
    expect(ok).toEqual({
      type: "complete",
      jobId: "job_1",
      leaseEpoch: 2,
      result: { outcome: "success", rc: 0 },
      insights: { tokensIn: 1 },
      checkpoint: undefined,
    });
    const bad = reportFrame("job_1", 2, { type: "fail", result: { outcome: "failure", rc: 1 } });
    expect(bad.type).toBe("fail");
  });

  it("says done or failed the way the operator reads it", () => {
    expect(outcomeLine("job_1", { type: "complete", result: { outcome: "success" } }, "1.2s", false)).toMatchObject({
      mark: "✔",
      text: "job_1 done in 1.2s",
    });
    expect(
      outcomeLine("job_1", { type: "fail", result: { outcome: "budget_exceeded", message: "too slow" } }, "9s", false),
    ).toMatchObject({
      mark: "✘",
      text: "job_1 failed: too slow",
      outcome: "budget_exceeded",
    });
  });
});
