// A local start SIGKILLed while its wrangler run bundles the Worker (scripts/wrangler-runs) leaves no wrangler
// behind for good: the orphan finishes its bundle and exits. Its output went to pipes nobody read any more, and it
// spun a core forever, deaf to SIGTERM (npm start killed outright, or by the OOM killer, on a cold bundle cache). A
// real wrangler run, in a child process killed once wrangler is seen running.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { until } from "./agent-fakes.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-wrangler-orphan-"));
const outdir = path.join(root, "bundle");

/** The pids of live wrangler runs writing to `dir` (`--outdir DIR` in the command line; a zombie's is empty). */
function runningFor(dir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(`--outdir\0${dir}\0`)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

afterAll(() => {
  for (const pid of runningFor(outdir)) process.kill(pid, "SIGKILL"); // red: what was left spinning
  rmSync(root, { recursive: true, force: true });
});

describe("a start killed outright while wrangler bundles", () => {
  it("leaves no wrangler running: it finishes its bundle and exits", async () => {
    const runs = path.resolve(import.meta.dirname, "../../scripts/wrangler-runs.ts");
    const script = `import { bundleWorker } from ${JSON.stringify(runs)}; await bundleWorker(${JSON.stringify(outdir)});`;
    const start = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
    const exited = new Promise((r) => start.once("exit", r));
    await until("wrangler running", () => runningFor(outdir).length > 0, 60_000);
    start.kill("SIGKILL");
    await exited;
    await until("no wrangler left", () => runningFor(outdir).length === 0, 90_000);
    expect(readdirSync(outdir)).toContain("index.js");
  });
});
