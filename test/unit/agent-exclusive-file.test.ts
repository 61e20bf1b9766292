// The agent's files in directories an engine can write (jobs/: the job and lessons files; kept/: the keep markers)
// are created exclusively (agent/exclusive-file): in the sandbox the engine is the agent's own user, and a symlink it
// planted at the path between the agent's remove and its write took the write — over the state dir's config.json,
// say. A link planted after the remove (the hook) is refused and removed, never written through; one planted twice
// is an error, the target still untouched; a link there before the call is unlinked, not followed.
import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { replaceFile } from "../../src/agent/exclusive-file.ts";
import { readMarker, writeMarker } from "../../src/agent/kept-links.ts";
import { writeLessonsFile } from "../../src/agent/lessons-file.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-exclusive-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file standing for the state dir's config.json, and the text it must keep. */
function secretFile(name: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, '{"token":"gf_fac_secret"}');
  return file;
}

describe("replacing an agent's file in a directory an engine can write", () => {
  it("refuses a link planted after the remove and writes a file of its own instead", () => {
    const secret = secretFile("config-1.json");
    const file = path.join(dir, "job_1.job.md");
    let planted = 0;
    replaceFile(file, "the job text", {
      mode: 0o600,
      beforeCreate: () => {
        if (planted++ === 0) symlinkSync(secret, file);
      },
    });
    expect(readFileSync(secret, "utf8")).toBe('{"token":"gf_fac_secret"}');
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(readFileSync(file, "utf8")).toBe("the job text");
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("gives up on a link planted again, writing through neither", () => {
    const secret = secretFile("config-2.json");
    const file = path.join(dir, "job_2.job.md");
    const plant = () => symlinkSync(secret, file);
    expect(() => replaceFile(file, "the job text", { mode: 0o600, beforeCreate: plant })).toThrow(/EEXIST/);
    expect(readFileSync(secret, "utf8")).toBe('{"token":"gf_fac_secret"}');
  });

  it("refuses a dangling link too (a file the write would have created elsewhere)", () => {
    const elsewhere = path.join(dir, "created-elsewhere");
    const file = path.join(dir, "job_3.job.md");
    let planted = 0;
    replaceFile(file, "x", {
      mode: 0o600,
      beforeCreate: () => {
        if (planted++ === 0) symlinkSync(elsewhere, file);
      },
    });
    expect(lstatSync(elsewhere, { throwIfNoEntry: false })).toBeUndefined();
    expect(readFileSync(file, "utf8")).toBe("x");
  });

  it("writes the lessons file and a keep marker over a link already there without following it", () => {
    const secret = secretFile("config-3.json");
    const lessons = path.join(dir, "job_4.lessons.md");
    symlinkSync(secret, lessons);
    writeLessonsFile(lessons, [{ id: "les_1", text: "Run the tests" }]);
    expect(readFileSync(lessons, "utf8")).toContain("Run the tests (les_1)");
    const kept = path.join(dir, "job_4-e1");
    symlinkSync(secret, `${kept}.json`);
    writeMarker(kept, { jobId: "job_4", keptAt: 1 });
    expect(readMarker(kept)).toEqual({ jobId: "job_4", keptAt: 1 });
    expect(lstatSync(`${kept}.json`).isSymbolicLink()).toBe(false);
    expect(readFileSync(secret, "utf8")).toBe('{"token":"gf_fac_secret"}');
  });
});
