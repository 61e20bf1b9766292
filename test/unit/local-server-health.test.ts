// Waiting for the local runtime to answer (scripts/local-server `waitForHealth`) ends as soon as the runtime is gone,
// however it went: one killed by a signal has no exit code, only a signalCode, and the wait used to look at the exit
// code alone — a runtime stopped while it came up (`npm start` stopped during its start-up) or killed by the OOM
// killer kept `npm start` waiting out the whole minute before it said anything.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { freePort, waitForHealth } from "../../scripts/local-server.ts";

/** 10 minutes: far past this test's own timeout, so only noticing the exit can end the wait in time. */
const NEVER_MS = 600_000;

describe("waitForHealth", () => {
  it("fails at once, naming the signal, when the runtime was killed by one", async () => {
    const url = `http://127.0.0.1:${await freePort()}`; // nothing listens there
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    await once(child, "spawn");
    child.kill("SIGTERM");
    await once(child, "exit");
    expect(child.exitCode).toBeNull();
    await expect(waitForHealth(url, NEVER_MS, child)).rejects.toThrow("the local runtime exited with SIGTERM");
  });

  it("fails at once, naming the code, when the runtime exited", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const child = spawn(process.execPath, ["-e", "process.exit(3)"], { stdio: "ignore" });
    await once(child, "exit");
    await expect(waitForHealth(url, NEVER_MS, child)).rejects.toThrow("the local runtime exited with code 3");
  });
});
