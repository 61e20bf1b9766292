// Job records read back from the agent's state dir are validated: a corrupt one (torn, hand-edited, a disk fault)
// is reported, moved aside and skipped — never re-sent as a report, never a pid to kill, never a crash.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createOutput } from "../../src/agent/output.ts";
import { corruptRecordEvent, JobRecords } from "../../src/agent/state.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-records-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function store(name: string) {
  const reports: string[] = [];
  const records = new JobRecords(path.join(root, name), (file, problem, movedTo) =>
    reports.push(`${path.basename(file)}|${problem}|${path.basename(movedTo)}`),
  );
  mkdirSync(records.dir, { recursive: true });
  const put = (jobId: string, body: unknown) =>
    writeFileSync(path.join(records.dir, `${jobId}.json`), typeof body === "string" ? body : JSON.stringify(body));
  return { records, reports, put };
}

const valid = { jobId: "job_ok", leaseEpoch: 2, attempt: 1, startedAt: 5 };

describe("job records read back", () => {
  it("a record that is not JSON is reported, kept aside as .corrupt, and read as never seen", () => {
    const { records, reports, put } = store("torn");
    put("job_t", '{"jobId":"job_t","leaseEp');
    expect(records.read("job_t")).toBeUndefined();
    expect(reports).toEqual(["job_t.json|not valid JSON|job_t.json.corrupt"]);
    expect(existsSync(path.join(records.dir, "job_t.json.corrupt"))).toBe(true);
    expect(records.read("job_t")).toBeUndefined();
    expect(reports).toHaveLength(1); // moved aside: reported once
  });

  it("a stored report the coordinator would refuse is never re-sent: the record is skipped", () => {
    const { records, reports, put } = store("bad-report");
    put("job_r", { ...valid, jobId: "job_r", report: { type: "complete", result: { outcome: "yay" } } });
    expect(records.read("job_r")).toBeUndefined();
    expect(reports[0]).toMatch(/^job_r\.json\|report\.result\.outcome: /);
  });

  it("wrong types and a pid no engine has (1: kill(-1) signals every process) are refused", () => {
    const { records, reports, put } = store("types");
    put("job_e", { ...valid, jobId: "job_e", leaseEpoch: "2" });
    put("job_p", { ...valid, jobId: "job_p", enginePid: 1 });
    expect(records.read("job_e")).toBeUndefined();
    expect(records.read("job_p")).toBeUndefined();
    expect(reports.map((r) => r.split("|")[1])).toEqual([
      expect.stringMatching(/^leaseEpoch: /),
      expect.stringMatching(/^enginePid: /),
    ]);
  });

  it("list() returns the valid records and skips the corrupt ones without throwing", () => {
    const { records, reports, put } = store("list");
    records.write(valid);
    records.write({ ...valid, jobId: "job_cp", checkpoint: { branch: "gf/wip/job_cp-e2", sha: "abcdef1" } });
    put("job_x", "[]");
    put("job_n", "null");
    writeFileSync(path.join(records.dir, "notes.txt"), "not a record");
    expect(
      records
        .list()
        .map((r) => r.jobId)
        .sort(),
    ).toEqual(["job_cp", "job_ok"]);
    expect(reports).toHaveLength(2);
    expect(JSON.parse(readFileSync(path.join(records.dir, "job_ok.json"), "utf8"))).toEqual(valid);
  });

  it("the agent reports a corrupt record as its operator event job.record_corrupt, in --json too", () => {
    const lines: string[] = [];
    const out = createOutput(true, { out: (l) => lines.push(l), err: (l) => lines.push(l) }, () => 7);
    const records = new JobRecords(path.join(root, "event"), corruptRecordEvent(out));
    mkdirSync(records.dir, { recursive: true });
    writeFileSync(path.join(records.dir, "job_e.json"), "{torn");
    expect(records.read("job_e")).toBeUndefined();
    const event = JSON.parse(lines[0] ?? "{}");
    expect(event).toMatchObject({
      event: "job.record_corrupt",
      movedTo: expect.stringMatching(/job_e\.json\.corrupt$/),
    });
  });
});
