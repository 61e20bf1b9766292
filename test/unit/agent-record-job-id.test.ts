// A job record's `jobId` is held to the coordinator's id rule (shared/api EntityId) when it is read back, as its
// report and pid already were: after a welcome the agent builds paths from it and removes what is there (agent/orphans,
// agent/job-leftovers: the workspace `<work-dir>/jobs/<id>`, `<id>.job.md`, `logs/<id>-a<n>.log`). A record left with
// `"jobId": "../../victim"` (a hand edit, a disk fault, an agent from before the assignment guard) had the agent move
// a directory beside its work dir into the trash and delete it, and remove the files named like it. Real directories,
// the real reaping a welcome runs.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reapOrphans } from "../../src/agent/orphans.ts";
import { JobRecords } from "../../src/agent/state.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-record-id-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("a job record whose jobId is a path", () => {
  it("is reported and set aside, and nothing outside the work dir is touched by the reaping", () => {
    const stateDir = path.join(root, "state");
    const workDir = path.join(root, "work");
    const victim = path.join(root, "victim");
    mkdirSync(victim, { recursive: true });
    writeFileSync(path.join(victim, "keep.txt"), "not the agent's\n");
    for (const f of ["victim.job.md", "victim-a1.log"]) writeFileSync(path.join(root, f), "not the agent's\n");
    const corrupt: string[] = [];
    const records = new JobRecords(stateDir, (file, problem) => corrupt.push(`${path.basename(file)}: ${problem}`));
    mkdirSync(records.dir, { recursive: true });
    const record = { jobId: "../../victim", leaseEpoch: 1, attempt: 1, startedAt: 0, ended: 1 };
    writeFileSync(path.join(records.dir, "job_x.json"), JSON.stringify(record));

    const said: string[] = [];
    const out = { say: (_icon: string, event: string) => void said.push(event) };
    reapOrphans(records, workDir, () => false, out, undefined, { workDir, stateDir });

    expect(existsSync(path.join(victim, "keep.txt"))).toBe(true);
    expect(existsSync(path.join(root, "victim.job.md"))).toBe(true);
    expect(existsSync(path.join(root, "victim-a1.log"))).toBe(true);
    expect(corrupt).toEqual([expect.stringMatching(/^job_x\.json: jobId: /)]);
    expect(existsSync(path.join(records.dir, "job_x.json.corrupt"))).toBe(true);
  });
});
