/**
 * @module agent/command-template
 * Engine command templates such as `claude -p` or `my-engine --job {job_file}`:
 * split into an argv with shell-like quoting, then placeholders filled in. The
 * engine is spawned from the argv directly — never through a shell — so a job's
 * title or body can never inject a command.
 *
 * Placeholders (whole or inside an argument): `{job_file}`, `{workdir}`,
 * `{job_id}`, `{attempt}`. The same values are in the environment as
 * `GF_JOB_FILE`, `GF_WORKDIR`, `GF_JOB_ID`, `GF_ATTEMPT`; and `GF_LESSONS_FILE` (the job's lessons, a markdown
 * list, newest first — an empty file when there are none; agent/lessons-file).
 */
import { z } from "zod";
import { identityEnv, inheritedEnv } from "./engine-env.ts";

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

/**
 * Words of a command line: whitespace separates; '…' is literal; "…" allows `\"` and
 * `\\`; a backslash outside quotes escapes the next character (POSIX sh rules, minus
 * expansions).
 */
export function splitCommand(template: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i] as string;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === "\\" && (template[i + 1] === '"' || template[i + 1] === "\\")) word += template[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < template.length) {
      word += template[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new TemplateError(`unterminated ${quote} quote in command: ${template}`);
  if (inWord) words.push(word);
  if (words.length === 0) throw new TemplateError("empty engine command");
  return words;
}

export interface TemplateVars {
  job_file: string;
  workdir: string;
  job_id: string;
  attempt: string;
}

/** Fills `{name}` placeholders; unknown `{…}` are left as they are (they may be the engine's own syntax). */
export function fillPlaceholders(argv: readonly string[], vars: TemplateVars): string[] {
  return argv.map((arg) =>
    arg.replace(/\{(job_file|workdir|job_id|attempt)\}/g, (_, name: keyof TemplateVars) => vars[name]),
  );
}

/** A template → the argv to spawn for one job. */
export function commandFor(template: string, vars: TemplateVars): string[] {
  return fillPlaceholders(splitCommand(template), vars);
}

/** An engine's name: it becomes the capability `engine:<name>`, which the coordinator checks. */
const ENGINE_NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/;

/** `name=command template` (the `--engine` flag) → its two halves. @throws TemplateError — not one. */
export function parseEngineSpec(spec: string): { name: string; template: string } {
  const eq = spec.indexOf("=");
  const name = eq > 0 ? spec.slice(0, eq).trim() : "";
  const template = eq > 0 ? spec.slice(eq + 1).trim() : "";
  if (!ENGINE_NAME.test(name) || template === "") {
    throw new TemplateError(`--engine wants name=command (e.g. claude="claude -p"), got: ${spec}`);
  }
  splitCommand(template); // fail now, at start-up, rather than on the first job
  return { name, template };
}

/**
 * The engines a config file names (`engines: {name: template}`), each checked as `--engine` is: an issue for a name
 * that could not be a capability, or a template that does not split into a command (at start-up, not the first job).
 */
export const EngineTemplates = z.record(z.string(), z.string()).superRefine((engines, ctx) => {
  for (const [name, template] of Object.entries(engines)) {
    if (!ENGINE_NAME.test(name))
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(name)} is no engine name (e.g. claude; a-z 0-9 . _ -)`,
      });
    else
      try {
        splitCommand(template);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: `engine ${name}: ${(err as Error).message}` });
      }
  }
});

/**
 * The engine's environment: the allow-listed part of the agent's (agent/engine-env —
 * never its credentials: an AI engine runs arbitrary commands and must not be able to
 * act as the factory), the engine user's identity, plus the job contract variables.
 */
export function engineEnv(
  base: Readonly<Record<string, string | undefined>>,
  job: { title: string; feedback?: string },
  vars: TemplateVars,
  opts: EngineEnvOptions = {},
): Record<string, string> {
  return {
    ...inheritedEnv(base, opts.extra),
    ...identityEnv(opts.user),
    GF_JOB_ID: vars.job_id,
    GF_JOB_FILE: vars.job_file,
    GF_WORKDIR: vars.workdir,
    GF_ATTEMPT: vars.attempt,
    // Text from the job: an environment variable cannot hold NUL (spawn refuses one), so it is dropped.
    GF_FEEDBACK: withoutNul(job.feedback ?? ""),
    GF_JOB_TITLE: withoutNul(job.title),
    // The job's lessons (agent/lessons-file): set whenever the agent wrote the file, empty file = no lessons.
    ...(opts.lessonsFile !== undefined ? { GF_LESSONS_FILE: opts.lessonsFile } : {}),
  };
}

/** `text` without NUL characters, which no environment variable can carry. */
function withoutNul(text: string): string {
  return text.replaceAll("\u0000", "");
}

export interface EngineEnvOptions {
  /** The operator's `--engine-env` names, passed on top of the allow-list. */
  extra?: ReadonlySet<string>;
  /** The user the engine runs as (HOME, USER, LOGNAME); undefined = the agent's own. */
  user?: { name: string; home: string };
  /** Where the job's lessons are (agent/lessons-file), exported as `GF_LESSONS_FILE`. */
  lessonsFile?: string;
}

/** What an engine is given for one job: argv, environment and stdin (the job text, also in `{job_file}`). */
export function engineInvocation(
  template: string,
  job: { id: string; title: string; bodyMd: string; attempt: number; feedback?: string },
  workdir: string,
  jobFile: string,
  opts: EngineEnvOptions = {},
): { argv: string[]; env: Record<string, string>; stdin: string } {
  const vars: TemplateVars = { job_file: jobFile, workdir, job_id: job.id, attempt: String(job.attempt) };
  return { argv: commandFor(template, vars), env: engineEnv(process.env, job, vars, opts), stdin: jobText(job) };
}

/** The job text an engine reads: the manifest body, or its title when the body is empty. */
export function jobText(job: { title: string; bodyMd: string }): string {
  return job.bodyMd.trim() === "" ? `# ${job.title}\n` : job.bodyMd;
}
