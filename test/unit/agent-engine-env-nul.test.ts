// A job whose title or review feedback holds a NUL character still runs: the engine's environment carries them
// without it (an environment variable cannot hold NUL, and Node refuses to spawn with one). Found by a security
// review: the coordinator accepts such a title (JSON `\u0000`, e.g. from tracker ingest), and every agent that
// took the job failed to start its engine and gave no report — the job burned its attempts on lease expiries.
import { describe, expect, it } from "vitest";
import { engineEnv } from "../../src/agent/command-template.ts";
import { startEngine } from "../../src/agent/engine-runner.ts";

const vars = { job_file: "/w/jobs/j1.job.md", workdir: "/tmp", job_id: "j1", attempt: "1" };

describe("the engine's environment", () => {
  it("drops NUL from the title and the feedback, and the engine starts", async () => {
    const env = engineEnv({ PATH: process.env.PATH }, { title: "fix\u0000 login", feedback: "again\u0000" }, vars);
    expect(env.GF_JOB_TITLE).toBe("fix login");
    expect(env.GF_FEEDBACK).toBe("again");
    const lines: string[] = [];
    const engine = startEngine({
      argv: ["sh", "-c", 'printf "%s\\n" "$GF_JOB_TITLE"'],
      cwd: "/tmp",
      env,
      stdin: "",
      onLine: (_s, t) => lines.push(t),
    });
    const exit = await engine.exited;
    expect(exit.rc).toBe(0);
    expect(lines).toEqual(["fix login"]);
  });
});
