// The agent's state files (agent/state: `config.json` with the factory token, `jobs/<id>.json`) are written at a
// temporary name and renamed into place. That name (`<file>.<pid>.tmp`) was opened by path and truncated: a link
// planted there (an engine running unsandboxed as this user, a crash's leftover) had the token written into the link's
// target — and the link itself renamed into place as `config.json` — and a hard link had the record written into the
// other file. Now whatever lies at the temporary name is unlinked and the file created exclusively; the victims keep
// their bytes, and the state file is a regular file of its own, mode 0600.
import {
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configPath, JobRecords, readConfigFile, writeConfigFile } from "../../src/agent/state.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-state-tmp-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A file someone else cares about, holding `text`. */
function victim(name: string, text: string): string {
  const file = path.join(root, name);
  writeFileSync(file, text, { mode: 0o644 });
  return file;
}

describe("a state file's temporary name with something planted at it", () => {
  it("a symlink: the config is written beside it, never through it, and is no link", () => {
    const dir = path.join(root, "state-link");
    mkdirSync(dir, { mode: 0o700 });
    const target = victim("target-link", "theirs\n");
    symlinkSync(target, `${configPath(dir)}.${process.pid}.tmp`);
    const file = writeConfigFile(dir, { url: "http://u", token: "gf_secret" });
    expect(readFileSync(target, "utf8")).toBe("theirs\n");
    expect(lstatSync(target).mode & 0o777).toBe(0o644);
    const st = lstatSync(file);
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(readConfigFile(file)).toMatchObject({ token: "gf_secret" });
    expect(readdirSync(dir)).toEqual(["config.json"]); // nothing left at the temporary name
  });

  it("a hard link to another file: a job record does not overwrite that file", () => {
    const records = new JobRecords(path.join(root, "state-hard"));
    mkdirSync(records.dir, { recursive: true });
    const target = victim("target-hard", "theirs\n");
    linkSync(target, path.join(records.dir, `job_1.json.${process.pid}.tmp`));
    records.write({ jobId: "job_1", leaseEpoch: 1, attempt: 1, startedAt: 1 });
    expect(readFileSync(target, "utf8")).toBe("theirs\n");
    expect(records.read("job_1")).toMatchObject({ jobId: "job_1", leaseEpoch: 1 });
    expect(lstatSync(path.join(records.dir, "job_1.json")).mode & 0o777).toBe(0o600);
    expect(readdirSync(records.dir)).toEqual(["job_1.json"]);
  });

  it("a directory: the write fails, naming it, and the old config stays as it was", () => {
    const dir = path.join(root, "state-dir");
    writeConfigFile(dir, { token: "gf_old" });
    mkdirSync(`${configPath(dir)}.${process.pid}.tmp`);
    expect(() => writeConfigFile(dir, { token: "gf_new" })).toThrow(/tmp/);
    expect(readConfigFile(configPath(dir))).toMatchObject({ token: "gf_old" });
  });
});
