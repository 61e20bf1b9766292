// How `npm start` says a child of its ended on its own (scripts/stop-signals `endedWords`, for the runtime's and each
// demo agent's exit): with its exit code, or — killed by a signal, which leaves no exit code — by that signal's name.
// It said "demo-gpu exited with code null" of an agent the OOM killer took. Real child processes, real signals.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { endedWords } from "../../scripts/stop-signals.ts";

/** Starts a child that runs `code`, and resolves how it ended, in `endedWords`'s words, after `act` is done to it. */
async function ended(code: string, act: (pid: number) => void = () => {}): Promise<string> {
  const child = spawn(process.execPath, ["-e", code], { stdio: "ignore" });
  await once(child, "spawn");
  act(child.pid as number);
  const [exitCode, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  return endedWords(exitCode, signal);
}

describe("endedWords", () => {
  it("names the exit code of a child that exited, 0 included", async () => {
    expect(await ended("process.exit(3)")).toBe("exited with code 3");
    expect(await ended("")).toBe("exited with code 0");
  });

  it("names the signal that killed a child, which has no exit code", async () => {
    const killed = await ended("setInterval(() => {}, 60_000)", (pid) => process.kill(pid, "SIGKILL"));
    expect(killed).toBe("was killed by SIGKILL");
  });
});
