// A second stop request to `npm start` / `npm run dev` / the local runtime (scripts/stop-signals) exits with 128 + the
// number of the signal that made it — SIGTERM's 143, SIGHUP's 129, SIGINT's 130 — as a shell reports a process that
// signal ended: it was 130 whatever the signal, so a supervisor (systemd, Docker) sending SIGTERM twice read an
// interrupt. A real child process installs the handlers (the repeat window set to 0, so the test waits for states,
// never for a second to pass) and exits with the code they are given; the signals are real.
import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { stopExitCode } from "../../scripts/stop-signals.ts";

const MODULE = pathToFileURL(new URL("../../scripts/stop-signals.ts", import.meta.url).pathname).href;
const CHILD = `
const { onStopRequest } = await import(${JSON.stringify(MODULE)});
onStopRequest({
  stop: (why) => process.stdout.write("stopping " + why + "\\n"),
  force: (why, code) => { process.stdout.write("forced " + why + "\\n"); process.exit(code); },
}, process.ppid, 0);
process.stdout.write("ready\\n");
setInterval(() => {}, 60_000);
`;

/** Runs the child, sends `first` once it is ready and `second` once it is stopping; resolves its exit code and output. */
async function twoSignals(first: NodeJS.Signals, second: NodeJS.Signals) {
  const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const waiters: Array<() => void> = [];
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const seen = async (text: string) => {
    while (!out.includes(text)) await new Promise<void>((r) => waiters.push(r));
  };
  try {
    await seen("ready\n");
    child.kill(first);
    await seen(`stopping ${first}\n`);
    child.kill(second);
    return { code: await exited, out };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

describe("a second stop request", () => {
  it.each([
    ["SIGTERM", "SIGTERM", 143],
    ["SIGINT", "SIGINT", 130],
    ["SIGHUP", "SIGHUP", 129],
    ["SIGINT", "SIGTERM", 143],
  ] as const)("%s then %s exits %i (128 + the second signal's number)", async (first, second, code) => {
    const run = await twoSignals(first, second);
    expect(run.code, run.out).toBe(code);
    expect(run.out).toContain(`forced ${second}\n`);
  });

  it("a parent gone reads as a hangup: 129", () => {
    expect(stopExitCode("parent exited")).toBe(129);
  });
});
