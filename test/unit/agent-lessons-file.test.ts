// The agent hands an assignment's lessons to its engine: it writes them beside the job file as a markdown list,
// newest first (mode 0600, malformed or over-bound entries dropped), always sets $GF_LESSONS_FILE (an empty file
// when there are none), and the bundled sample engine reads that file and prints `lessons: N` and each lesson.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { engineInvocation } from "../../src/agent/command-template.ts";
import { startEngine } from "../../src/agent/engine-runner.ts";
import { sampleTemplate } from "../../src/agent/engines.ts";
import { acceptedLessons, lessonsFileFor, writeLessonsFile } from "../../src/agent/lessons-file.ts";
import { LESSON_LIMITS } from "../../src/core/lessons.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-lessons-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const job = { id: "job_1", title: "Fix the build", bodyMd: "# Fix the build\n", attempt: 1 };

describe("the lessons file", () => {
  it("lives beside the job file, not in the workspace", () => {
    expect(lessonsFileFor("/w/job_1.job.md")).toBe("/w/job_1.lessons.md");
  });

  it("is written newest first as sent, private to the engine, and named by GF_LESSONS_FILE", () => {
    const file = writeLessonsFile(path.join(dir, "a.lessons.md"), [
      { id: "les_2", text: "Run npm ci before the tests" },
      { id: "les_1", text: "The flaky test is test/x.ts" },
    ]);
    expect(
      readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("- ")),
    ).toEqual(["- Run npm ci before the tests (les_2)", "- The flaky test is test/x.ts (les_1)"]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const run = engineInvocation("engine --job {job_file}", job, dir, path.join(dir, "a.job.md"), {
      lessonsFile: file,
    });
    expect(run.env.GF_LESSONS_FILE).toBe(file);
  });

  it("is empty (and still named) when the assignment has no lessons", () => {
    const file = writeLessonsFile(path.join(dir, "b.lessons.md"), undefined);
    expect(readFileSync(file, "utf8")).toBe("");
    const run = engineInvocation("engine", job, dir, path.join(dir, "b.job.md"), { lessonsFile: file });
    expect(run.env.GF_LESSONS_FILE).toBe(file);
  });

  it("drops malformed entries and re-applies the assignment bound to whatever arrives", () => {
    expect(acceptedLessons("nope")).toEqual([]);
    expect(acceptedLessons([null, { id: 1, text: "x" }, { id: "les_1", text: "ok" }])).toEqual([
      { id: "les_1", text: "ok" },
    ]);
    const many = Array.from({ length: 20 }, (_, i) => ({ id: `les_${i}`, text: "y".repeat(1000) }));
    const kept = acceptedLessons(many);
    expect(kept.length).toBeLessThanOrEqual(LESSON_LIMITS.perAssignment);
    expect(kept.reduce((n, l) => n + l.text.length, 0)).toBeLessThanOrEqual(LESSON_LIMITS.assignmentMaxBytes);
    expect(kept[0]?.id).toBe("les_0"); // order kept: the coordinator sent them newest first
  });
});

describe("the sample engine", () => {
  async function runSample(lessonsFile: string): Promise<string[]> {
    const work = mkdtempSync(path.join(dir, "ws-"));
    const run = engineInvocation(sampleTemplate(), job, work, path.join(work, "..", "x.job.md"), { lessonsFile });
    const lines: string[] = [];
    const eng = startEngine({
      ...run,
      env: { ...run.env, GF_SAMPLE_SECONDS: "0" },
      cwd: work,
      onLine: (_s, t) => lines.push(t),
    });
    expect((await eng.exited).rc).toBe(0);
    return lines;
  }

  it("prints how many lessons arrived, and each one", async () => {
    const file = writeLessonsFile(path.join(dir, "c.lessons.md"), [
      { id: "les_9", text: "Pin the node version" },
      { id: "les_8", text: "Never touch vendor/" },
    ]);
    const lines = await runSample(file);
    expect(lines).toContain("sample engine: lessons: 2");
    expect(lines).toContain("sample engine: lesson Pin the node version (les_9)");
  });

  it("prints lessons: 0 for an empty file", async () => {
    const lines = await runSample(writeLessonsFile(path.join(dir, "d.lessons.md"), []));
    expect(lines).toContain("sample engine: lessons: 0");
  });
});
