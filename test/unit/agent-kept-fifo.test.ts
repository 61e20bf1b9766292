// The agent reads the markers beside kept workspaces (`kept/<jobId>-e<epoch>.json`, agent/kept-workspaces and
// agent/kept-links) from outside the sandbox, and `kept/` is writable inside it. A FIFO an engine made there
// (`mkfifo kept/x.json`) was opened for a synchronous read: with no writer, the agent's whole event loop blocked
// for good at the next sweep or prune (every seat's lease lapsed); with one, the engine's words were taken as the
// agent's — an expired keep, a `linking` to settle. Now a marker is read only when it is a regular file, opened
// without following a link or waiting for a writer. Here a writer process stands ready at the FIFO, so the read
// ends either way; what is asserted is that nothing it wrote is obeyed, and that the FIFO is left as it is.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readMarker, repairKeptLinks } from "../../src/agent/kept-links.ts";
import { sweepKeptWorkspaces } from "../../src/agent/kept-workspaces.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-kept-fifo-"));
const writers: ChildProcess[] = [];
afterAll(() => {
  for (const w of writers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

/** `kept/<name>` (a dir) and its marker a FIFO, a writer waiting to write `text` into it; the marker's path. */
function fifoMarker(work: string, name: string, text: string): string {
  const dir = path.join(work, "kept", name);
  mkdirSync(dir, { recursive: true });
  const fifo = `${dir}.json`;
  execFileSync("mkfifo", [fifo]);
  writers.push(spawn("sh", ["-c", 'printf %s "$2" > "$1"', "sh", fifo, text], { stdio: "ignore" }));
  return fifo;
}

describe.runIf(process.platform !== "win32")("a kept workspace's marker that is a FIFO", () => {
  it("is not read by the sweep: the keep is not taken as expired, its dir stays", async () => {
    const work = path.join(root, "sweep");
    fifoMarker(work, "job_f-e1", '{"jobId":"job_f","keptAt":0}');
    const said: string[] = [];
    const removed = await sweepKeptWorkspaces(work, undefined, Date.now(), { say: (_i, event) => said.push(event) });
    expect(removed).toEqual([]);
    expect(said).toEqual([]);
    expect(existsSync(path.join(work, "kept", "job_f-e1"))).toBe(true);
  });

  it("is not read by a prune's repair of interrupted keeps, and is left a FIFO", async () => {
    const work = path.join(root, "repair");
    const mirror = path.join(work, "mirrors", "app-0123456789ab.git");
    mkdirSync(mirror, { recursive: true });
    const from = path.join(work, "jobs", "job_g");
    const text = JSON.stringify({ jobId: "job_g", keptAt: 0, linking: { mirror, from } });
    const fifo = fifoMarker(work, "job_g-e1", text);
    await repairKeptLinks(mirror, undefined);
    expect(lstatSync(fifo).isFIFO()).toBe(true); // not rewritten as a settled marker
    expect(readMarker(path.join(work, "kept", "job_g-e1"))).toBeUndefined();
  });
});
