// npm test's unit and integration layers run at the same time, and their output still reads one layer after the
// other (scripts/test-side-by-side): the first's goes through as it comes, the second's is held until the first
// ends, then written whole and passed on; each run's exit status comes back in order, 1 for one that cannot start.
// Two real processes, one waiting for a file only the other makes: run one after the other, it would never get it.
// A SIGTERM or SIGINT to the runner mid-pair ends both runs' processes before it exits 143 or 130, held output shown.
// A run `after` another (npm test's e2e after the unit layer) starts once that one has passed, beside the runs still
// going, its output still in its place; never when that one failed or a stop came (null, no header).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isRunning } from "../../scripts/process-tree.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-side-by-side-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const RUNNER = path.resolve(import.meta.dirname, "../../scripts/test-side-by-side.ts");

/**
 * A node program: `steps` in order — print a line (stdout, or stderr with `!`), make a file, wait for one, or say
 * whether one is there yet (`seen NAME` / `not yet NAME`).
 */
function program(
  steps: ({ out: string } | { err: string } | { make: string } | { wait: string } | { check: string })[],
  exit: number,
) {
  const body = steps.map((s) => {
    if ("check" in s)
      return `console.log((fs.existsSync(${JSON.stringify(path.join(dir, s.check))}) ? "seen " : "not yet ") + ${JSON.stringify(s.check)});`;
    if ("out" in s) return `process.stdout.write(${JSON.stringify(`${s.out}\n`)});`;
    if ("err" in s) return `process.stderr.write(${JSON.stringify(`${s.err}\n`)});`;
    if ("make" in s) return `fs.writeFileSync(${JSON.stringify(path.join(dir, s.make))}, "");`;
    const file = JSON.stringify(path.join(dir, s.wait));
    // Gives up after 20 s, so that a run that never gets its file ends and says so.
    return `for (const end = Date.now() + 20000; !fs.existsSync(${file}); await new Promise((r) => setTimeout(r, 10)))
      if (Date.now() > end) { console.log("never got ${s.wait}"); process.exit(9); }`;
  });
  return ["--input-type=module", "-e", `import fs from "node:fs"; ${body.join("\n")} process.exit(${exit});`];
}

/** Runs `runSideBySide` over two programs in a process of its own: its stdout, stderr and the statuses it gave. */
function sideBySide(first: string[], second: string[], third?: { args: string[]; after: number }) {
  const runs = [
    { header: "== first", command: process.execPath, args: first },
    { header: "== second", command: process.execPath, args: second },
    ...(third ? [{ header: "== third", command: process.execPath, ...third }] : []),
  ];
  const script = `import { runSideBySide } from ${JSON.stringify(RUNNER)};
    console.log(JSON.stringify(await runSideBySide(${JSON.stringify(runs)})));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
  const lines = r.stdout.split("\n");
  return { stdout: lines.slice(0, -2).join("\n"), statuses: JSON.parse(lines.at(-2) ?? "null"), stderr: r.stderr };
}

describe("runSideBySide", () => {
  it("runs both at once; the second, ended first, is shown after the first, whole, and each status comes back", () => {
    const r = sideBySide(
      program([{ out: "a1" }, { err: "a-err" }, { wait: "b-made" }, { out: "a2" }], 3),
      program([{ out: "b1" }, { err: "b-err" }, { make: "b-made" }, { out: "b2" }], 0),
    );
    expect(r.stdout).toBe(["== first", "a1", "a2", "== second", "b1", "b2"].join("\n"));
    expect(r.stderr).toBe("a-err\nb-err\n");
    expect(r.statuses).toEqual([3, 0]);
  });

  it("the first ending first: the second's output held so far is shown after it, then the rest", () => {
    const r = sideBySide(
      program([{ out: "a1" }, { wait: "b-started" }, { make: "a-ended" }], 0),
      program([{ out: "b-held" }, { make: "b-started" }, { wait: "a-ended" }, { out: "b-live" }], 4),
    );
    expect(r.stdout).toBe(["== first", "a1", "== second", "b-held", "b-live"].join("\n"));
    expect(r.statuses).toEqual([0, 4]);
  });

  it("a run after the first starts once the first has passed, beside the second still running, shown last", () => {
    const r = sideBySide(
      program([{ out: "a1" }, { make: "after-a-done" }], 0),
      // Ends only once the third has started: the third does not wait for it. (That the third does not start while
      // the first runs: the SIGTERM and SIGINT cases below, whose third never starts behind a first that runs on.)
      program([{ out: "b1" }, { wait: "after-c-started" }, { out: "b2" }], 0),
      { args: program([{ check: "after-a-done" }, { make: "after-c-started" }], 5), after: 0 },
    );
    expect(r.stdout).toBe(["== first", "a1", "== second", "b1", "b2", "== third", "seen after-a-done"].join("\n"));
    expect(r.statuses).toEqual([0, 0, 5]);
  });

  it("a run after a first that failed is never started: null, no header, the others shown", () => {
    const r = sideBySide(program([{ out: "a1" }], 2), program([{ out: "b1" }], 0), {
      args: program([{ out: "c-ran" }, { make: "failed-c-ran" }], 0),
      after: 0,
    });
    expect(r.stdout).toBe(["== first", "a1", "== second", "b1"].join("\n"));
    expect(r.statuses).toEqual([2, 0, null]);
    expect(existsSync(path.join(dir, "failed-c-ran"))).toBe(false);
  });

  it("gives 1 for a run that cannot start, saying why in its place", () => {
    const runs = `[{ header: "== none", command: ${JSON.stringify(path.join(dir, "no-such-program"))}, args: [] }]`;
    const script = `import { runSideBySide } from ${JSON.stringify(RUNNER)};
      const s = await runSideBySide(${runs}, { stdout: process.stdout, stderr: process.stdout });
      console.log(JSON.stringify(s));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(r.stdout).toMatch(/^== none\n.*no-such-program: spawn .* ENOENT\n\[1\]\n$/);
  });

  for (const [sig, code] of [
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const) {
    it(`a ${sig} mid-pair: both runs are stopped before the runner exits ${code}, the held output written`, async () => {
      const pidFile = (name: string) => path.join(dir, `${sig}-${name}.pid`);
      // Each records its pid, then runs until a signal ends it (the second says something first, to be held).
      const forever = (name: string, say: string) => [
        "-e",
        `process.stdout.write(${JSON.stringify(say)}); require("fs").writeFileSync(${JSON.stringify(pidFile(name))}, String(process.pid)); setInterval(() => {}, 1000);`,
      ];
      const runs = [
        { header: "== first", command: process.execPath, args: forever("a", "a1\n") },
        { header: "== second", command: process.execPath, args: forever("b", "b-held\n") },
        // Waits for the first, which the stop ends: never started.
        { header: "== third", command: process.execPath, args: forever("c", "c-ran\n"), after: 0 },
      ];
      const script = `import { runSideBySide } from ${JSON.stringify(RUNNER)};
        await runSideBySide(${JSON.stringify(runs)}); console.log("returned");`;
      const runner = spawn(process.execPath, ["--input-type=module", "-e", script], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      runner.stdout.on("data", (c: Buffer) => {
        out += c;
      });
      const exited = new Promise<number | null>((resolve) => runner.once("exit", (c) => resolve(c)));
      while (!existsSync(pidFile("a")) || !existsSync(pidFile("b"))) await new Promise((r) => setTimeout(r, 20));
      const pids = ["a", "b"].map((name) => Number(readFileSync(pidFile(name), "utf8")));
      try {
        runner.kill(sig);
        expect(await exited).toBe(code);
        expect(pids.filter(isRunning)).toEqual([]);
        expect(existsSync(pidFile("c"))).toBe(false);
      } finally {
        for (const pid of pids.filter(isRunning)) process.kill(pid, "SIGKILL"); // left running by a failing runner
      }
      expect(out).toBe(["== first", "a1", "== second", "b-held", ""].join("\n"));
    });
  }
});
