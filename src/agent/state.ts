/**
 * @module agent/state
 * The agent's own small state on disk, under the state dir (mode 0700):
 * `config.json` (mode 0600: it holds the factory token) and one record per
 * job, `jobs/<jobId>.json`. A job record gains `engineExit` the moment its engine exits (agent/engine-exit), `report`
 * once the run's end is reported, and `ended` only after the coordinator acknowledged the report —
 * written last, so nothing that reads these files can see a job "done" whose
 * report has not landed (seed 004 §14: `ended=` written before the report let a
 * caller observe completion too early). Every write is tmp-file + rename, so a
 * crash leaves the old record or the new one, never half of one; the temporary file is created exclusively, never
 * written through a link or file planted at its name (agent/exclusive-file `replaceAtomically`).
 */
import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Checkpoint, Insights, ReportedResult } from "../core/model.ts";
import { EntityId } from "../shared/api.ts";
import { CheckpointBody, InsightsBody, RunResultBody } from "../shared/api-work.ts";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import type { ConfigFile } from "./config.ts";
import { type EngineExit, EngineExitSchema } from "./engine-exit.ts";
import { replaceAtomically } from "./exclusive-file.ts";
import type { Output } from "./output.ts";
import { readRegularFile } from "./regular-file.ts";

/** 1 MiB: the most of a job record read, bytes (a record holds one report: its frame is at most 256 KiB). */
const JOB_RECORD_MAX_BYTES = 1024 * 1024;

/**
 * Creates `dir` (the state dir, or one in it) mode 0700, or makes an existing one 0700.
 * @throws FixableError `state_dir_unusable` (exit 2) — this user cannot create it or own it (EACCES, EPERM, ENOTDIR,
 *   EROFS…): the path came from `--state-dir` or GIGAFACTORY_AGENT_STATE, so it is the operator's to fix, not a bug.
 */
export function ensurePrivateDir(dir: string): void {
  try {
    // Parents keep the default mode: a private parent would also lock an engine user out of a work dir beside it.
    mkdirSync(path.dirname(dir), { recursive: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700); // mkdir's mode is masked by umask, and an existing dir keeps its old mode
  } catch (err) {
    throw stateDirUnusable(dir, err);
  }
}

/**
 * The FixableError (exit 2) for a state dir this user cannot use: `err` (a system error) says why. A dir another user
 * owns (an `enroll` run with sudo, a `run` as another user) is said so, with both ways on: "EPERM, chmod" alone sent
 * the operator to look for a --state-dir elsewhere, away from the token that dir holds.
 */
export function stateDirUnusable(dir: string, err: unknown): FixableError {
  const owner = statSync(dir, { throwIfNoEntry: false })?.uid;
  const me = process.getuid?.();
  const other = owner !== undefined && me !== undefined && owner !== me;
  return new FixableError(
    "state_dir_unusable",
    `cannot use ${dir} as the agent's state dir: ${(err as Error).message}${other ? ` (it belongs to uid ${owner}; this agent runs as uid ${me})` : ""}`,
    other
      ? `run the agent as uid ${owner}, as whoever enrolled it, or give the dir to this user (chown -R ${me} ${dir}); or pass another --state-dir`
      : "pass a --state-dir (or set GIGAFACTORY_AGENT_STATE to a directory) this user can create and write",
    EXIT_USAGE,
  );
}

export function configPath(stateDir: string): string {
  return path.join(stateDir, "config.json");
}

/** The config file, parsed (agent/config-read: the state dir's own is read as a regular file only). */
export { readConfigFile } from "./config-read.ts";

export function writeConfigFile(stateDir: string, config: ConfigFile): string {
  ensurePrivateDir(stateDir);
  const file = configPath(stateDir);
  // On disk before the rename: a power loss must not leave an empty config (the factory token lost: enroll again).
  replaceAtomically(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, sync: true });
  return file;
}

/**
 * A job record as read back from disk. The file is the agent's own, but a disk fault, a hand edit or an older agent
 * can leave anything there, and what it holds is acted on: a `report` is re-sent as is, `enginePid` is killed. The
 * report is held to the wire schemas it is sent under, the job id to the coordinator's id rule (the workspace, job
 * text and log named after it are deleted once the job is not this host's); unknown top-level fields are dropped.
 */
const StoredReportSchema = z
  .object({
    type: z.enum(["complete", "fail"]),
    result: RunResultBody,
    insights: InsightsBody.optional(),
    checkpoint: CheckpointBody.optional(),
  })
  .strict();

const JobRecordSchema = z.object({
  // The coordinator's id rule, as agent/assignment-guard holds assignments to: paths are built from it and removed.
  jobId: EntityId,
  leaseEpoch: z.number().int().min(0),
  attempt: z.number().int().min(0),
  engine: z.string().optional(),
  startedAt: z.number(),
  enginePid: z.number().int().min(2).optional(),
  checkpoint: z.object({ branch: z.string().min(1), sha: z.string().regex(/^[0-9a-f]{7,64}$/) }).optional(),
  engineExit: EngineExitSchema.optional(),
  report: StoredReportSchema.optional(),
  ended: z.number().optional(),
});

export interface StoredReport {
  type: "complete" | "fail";
  result: ReportedResult;
  insights?: Insights;
  checkpoint?: Omit<Checkpoint, "at">;
}

export interface JobRecord {
  jobId: string;
  leaseEpoch: number;
  attempt: number;
  engine?: string;
  startedAt: number;
  /** The engine's pid (and process group), so a restarted agent can stop an engine its crashed self left behind. */
  enginePid?: number;
  /** The last checkpoint of this run the coordinator acknowledged: one of the sources a resume is checked against. */
  checkpoint?: { branch: string; sha: string };
  /** The engine exited (this lease's): a restart finishes from here, never running it again (agent/engine-exit). */
  engineExit?: EngineExit;
  /** The report, saved before it is sent: a restart re-sends it instead of re-running the engine. */
  report?: StoredReport;
  /** Set only once the coordinator acknowledged the report. */
  ended?: number;
}

/** Told of a job record that is not one (file path, what is wrong, where it was moved). */
export type CorruptRecord = (file: string, problem: string, movedTo: string) => void;

const toStderr: CorruptRecord = (file, problem, movedTo) =>
  process.stderr.write(`⚠ job record ${file} skipped: ${problem} (kept as ${movedTo})\n`);

/** A corrupt record as the agent's operator event `job.record_corrupt` (`--json` included), not only on stderr. */
export const corruptRecordEvent =
  (out: Pick<Output, "say">): CorruptRecord =>
  (file, problem, movedTo) =>
    out.say("⚠", "job.record_corrupt", `job record ${file} skipped: ${problem} (kept as ${movedTo})`, {
      file,
      movedTo,
    });

export class JobRecords {
  readonly dir: string;
  private readonly corrupt: CorruptRecord;

  /** `corrupt` hears of each record that fails validation (default: a line on stderr). */
  constructor(stateDir: string, corrupt: CorruptRecord = toStderr) {
    this.dir = path.join(stateDir, "jobs");
    this.corrupt = corrupt;
  }

  private file(jobId: string): string {
    return path.join(this.dir, `${jobId.replace(/[^A-Za-z0-9_-]/g, "_")}.json`);
  }

  /**
   * The record at `file`, validated; undefined when missing. A record that is not JSON or fails the schema is
   * reported, moved aside to `<file>.corrupt` (kept for the operator, never read again) and treated as never seen.
   */
  private load(file: string): JobRecord | undefined {
    // As agent/regular-file reads: a FIFO at a record's name hung the agent's start for good (every record is read
    // then), and a huge file or a link to /dev/zero was read whole. Either is reported and moved aside as corrupt.
    const read = readRegularFile(file, JOB_RECORD_MAX_BYTES);
    if ("missing" in read) return undefined; // never seen
    const parsed = "text" in read ? parseRecord(read.text) : { problem: read.refused };
    if ("record" in parsed) return parsed.record;
    const { problem } = parsed;
    const movedTo = `${file}.corrupt`;
    try {
      renameSync(file, movedTo);
    } catch {
      /* reported anyway; the next read reports it again */
    }
    this.corrupt(file, problem, movedTo);
    return undefined;
  }

  read(jobId: string): JobRecord | undefined {
    return this.load(this.file(jobId));
  }

  write(record: JobRecord): void {
    ensurePrivateDir(this.dir);
    // No fsync: several writes per job on the agent's one thread; a record a power loss empties is read as corrupt.
    replaceAtomically(this.file(record.jobId), `${JSON.stringify(record)}\n`, { mode: 0o600 });
  }

  /** Every valid record on disk (a corrupt one is reported and moved aside, a foreign file skipped). */
  list(): JobRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.flatMap((name) => {
      if (!name.endsWith(".json")) return [];
      const r = this.load(path.join(this.dir, name));
      return r ? [r] : [];
    });
  }

  remove(jobId: string): void {
    rmSync(this.file(jobId), { force: true });
  }
}

/** A job record's text → the record, or why it is none (`not valid JSON`, or the schema's first issue). */
function parseRecord(text: string): { record: JobRecord } | { problem: string } {
  try {
    const parsed = JobRecordSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { record: parsed.data as JobRecord };
    const issue = parsed.error.issues[0];
    return { problem: `${issue?.path.join(".") || "record"}: ${issue?.message}` };
  } catch {
    return { problem: "not valid JSON" };
  }
}
