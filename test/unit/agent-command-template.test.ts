// Engine command templates: shell-like words without a shell, placeholders, and a credential-free environment.
import { describe, expect, it } from "vitest";
import {
  commandFor,
  engineEnv,
  fillPlaceholders,
  parseEngineSpec,
  splitCommand,
} from "../../src/agent/command-template.ts";

const vars = { job_file: "/w/jobs/j1.job.md", workdir: "/w/jobs/j1", job_id: "j1", attempt: "2" };

describe("splitCommand", () => {
  it("splits on whitespace and honours quotes and backslashes like sh", () => {
    expect(splitCommand("claude -p")).toEqual(["claude", "-p"]);
    expect(splitCommand(`  my-engine  --msg "hello world" 'a b' c\\ d  `)).toEqual([
      "my-engine",
      "--msg",
      "hello world",
      "a b",
      "c d",
    ]);
    expect(splitCommand(`x "say \\"hi\\"" 'no \\escape' ""`)).toEqual(["x", 'say "hi"', "no \\escape", ""]);
  });

  it("rejects an empty command or an unterminated quote, saying which", () => {
    expect(() => splitCommand("   ")).toThrow(/empty/);
    expect(() => splitCommand(`claude "oops`)).toThrow(/unterminated " quote/);
  });

  it("never interprets shell syntax: it is just text in an argument", () => {
    expect(splitCommand("echo $(rm -rf /) ; ls | x")).toEqual(["echo", "$(rm", "-rf", "/)", ";", "ls", "|", "x"]);
  });
});

describe("placeholders", () => {
  it("fills {job_file} {workdir} {job_id} {attempt}, also inside an argument", () => {
    expect(commandFor("eng --job {job_file} --out={workdir}/out -n {attempt} {job_id}", vars)).toEqual([
      "eng",
      "--job",
      "/w/jobs/j1.job.md",
      "--out=/w/jobs/j1/out",
      "-n",
      "2",
      "j1",
    ]);
  });

  it("leaves unknown braces alone (they may be the engine's own syntax)", () => {
    expect(fillPlaceholders(["--fmt={json}", "{job_id}"], vars)).toEqual(["--fmt={json}", "j1"]);
  });

  it("does not re-expand values that themselves contain placeholders", () => {
    expect(fillPlaceholders(["{workdir}"], { ...vars, workdir: "/x/{job_id}" })).toEqual(["/x/{job_id}"]);
  });
});

describe("parseEngineSpec", () => {
  it("splits name=template at the first =", () => {
    expect(parseEngineSpec('claude=claude -p --model "a=b"')).toEqual({
      name: "claude",
      template: 'claude -p --model "a=b"',
    });
  });

  it("rejects a missing name, a missing command, a bad name or a broken template", () => {
    for (const bad of ["claude", "=claude -p", "claude=", "Bad Name=x", "x=a 'b"]) {
      expect(() => parseEngineSpec(bad), bad).toThrow();
    }
  });
});

describe("engineEnv", () => {
  it("sets the job contract variables", () => {
    const env = engineEnv({ PATH: "/bin" }, { title: "T", feedback: "tighten tests" }, vars);
    expect(env).toMatchObject({
      PATH: "/bin",
      GF_JOB_ID: "j1",
      GF_JOB_FILE: "/w/jobs/j1.job.md",
      GF_WORKDIR: "/w/jobs/j1",
      GF_ATTEMPT: "2",
      GF_FEEDBACK: "tighten tests",
      GF_JOB_TITLE: "T",
    });
    expect(engineEnv({}, { title: "T" }, vars).GF_FEEDBACK).toBe("");
  });

  it("passes an allow-list of the agent's environment: never GIGAFACTORY_*, nor any other secret it holds", () => {
    const env = engineEnv(
      {
        GIGAFACTORY_FACTORY_TOKEN: "gf_x",
        GIGAFACTORY_ENROLL_CODE: "gfe",
        GIGAFACTORY_URL: "http://u",
        AWS_SECRET_ACCESS_KEY: "aws",
        DATABASE_URL: "postgres://u:p@h/db",
        HOME: "/h",
        LC_ALL: "C.UTF-8",
        ANTHROPIC_API_KEY: "sk-ant",
        GF_SAMPLE_SECONDS: "1",
        AWS_PROFILE: "dev",
      },
      { title: "T" },
      vars,
      { extra: new Set(["AWS_PROFILE"]) },
    );
    for (const k of ["GIGAFACTORY_FACTORY_TOKEN", "GIGAFACTORY_ENROLL_CODE", "GIGAFACTORY_URL"])
      expect(env[k]).toBeUndefined();
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env).toMatchObject({
      HOME: "/h",
      LC_ALL: "C.UTF-8",
      ANTHROPIC_API_KEY: "sk-ant",
      GF_SAMPLE_SECONDS: "1",
      AWS_PROFILE: "dev",
    });
  });

  it("gives an engine run as another user that user's HOME, USER and LOGNAME", () => {
    const env = engineEnv({ HOME: "/root", USER: "root" }, { title: "T" }, vars, {
      user: { name: "nobody", home: "/w/home" },
    });
    expect(env).toMatchObject({ HOME: "/w/home", USER: "nobody", LOGNAME: "nobody" });
  });
});
