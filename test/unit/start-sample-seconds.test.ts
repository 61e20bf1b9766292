// `npm start` takes how long each demo job works from GF_SAMPLE_SECONDS (4 s when unset; 0 to 3600), and refuses
// anything else before it starts a thing — `bad_sample_seconds`, exit 2, naming the value and what to set — where
// "abc" reached the sample engine as NaN, which reported a run of "NaNs" at a NaN cost (scripts/start-preflight).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { demoSampleSeconds } from "../../scripts/start-preflight.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const state = mkdtempSync(path.join(tmpdir(), "gf-sample-seconds-"));
afterAll(() => rmSync(state, { recursive: true, force: true }));

describe("GF_SAMPLE_SECONDS for npm start", () => {
  it("is 4 when unset, the number given from 0 to 3600, and refused otherwise", () => {
    expect([undefined, "0", "1", "2.5", "3600"].map(demoSampleSeconds)).toEqual([4, 0, 1, 2.5, 3600]);
    for (const bad of ["abc", "", " ", "-1", "3601", "NaN", "Infinity", "1e400", "0x10", "1e3", ".5"])
      expect(demoSampleSeconds(bad), bad).toBeUndefined();
  });

  it("a value it cannot use stops npm start before anything starts, exit 2, saying what to set", () => {
    const run = spawnSync(path.join(ROOT, "node_modules", ".bin", "node"), [path.join(ROOT, "scripts", "start.ts")], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
      env: {
        ...process.env,
        GF_SAMPLE_SECONDS: "abc",
        GIGAFACTORY_ADMIN_TOKEN: "test-admin-token",
        GIGAFACTORY_LOCAL_STATE: state,
        PORT: "2", // nothing listens; not 1, a port fetch refuses (refused first: shared/fetch-bad-ports)
      },
    });
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /^✘ ERROR bad_sample_seconds: GF_SAMPLE_SECONDS=abc is not usable \/ set GF_SAMPLE_SECONDS /m,
    );
    expect(run.stdout).not.toContain("starting the coordinator");
    expect(readdirSync(state)).toEqual([]); // no lock taken, nothing started
  });
});
