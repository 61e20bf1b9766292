/**
 * @module agent/state
 * The agent's own small state on disk, under the state dir (mode 0700):
 * `config.json` (mode 0600: it holds the factory token) and one record per
 * job, `jobs/<jobId>.json`. A job record gains `report` when the engine has
 * finished and `ended` only after the coordinator acknowledged the report —
 * written last, so nothing that reads these files can see a job "done" whose
 * report has not landed (seed 004 §14: `ended=` written before the report let a
 * caller observe completion too early). Every write is tmp-file + rename, so a
 * crash leaves the old record or the new one, never half of one.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Checkpoint, Insights, RunResult } from "../core/model.ts";
import { ConfigError, ConfigFile } from "./config.ts";

export function ensurePrivateDir(dir: string): void {
  // Parents keep the default mode: a private parent would also lock an engine user out of a work dir beside it.
  mkdirSync(path.dirname(dir), { recursive: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // mkdir's mode is masked by umask, and an existing dir keeps its old mode
}

function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

export function configPath(stateDir: string): string {
  return path.join(stateDir, "config.json");
}

/** The config file, or `{}` when it does not exist; a broken one is an error that names it. */
export function readConfigFile(file: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(
      "config_unreadable",
      `cannot read ${file}: ${(err as Error).message}`,
      "check its permissions",
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ConfigError("config_invalid", `${file} is not valid JSON`, "fix it, or delete it and enroll again");
  }
  const parsed = ConfigFile.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      "config_invalid",
      `${file}: ${issue?.path.join(".")}: ${issue?.message}`,
      "fix that field, or delete the file and enroll again",
    );
  }
  return parsed.data;
}

export function writeConfigFile(stateDir: string, config: ConfigFile): string {
  ensurePrivateDir(stateDir);
  const file = configPath(stateDir);
  writeAtomic(file, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  return file;
}

export interface StoredReport {
  type: "complete" | "fail";
  result: RunResult;
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
  /** The report, saved before it is sent: a restart re-sends it instead of re-running the engine. */
  report?: StoredReport;
  /** Set only once the coordinator acknowledged the report. */
  ended?: number;
}

export class JobRecords {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, "jobs");
  }

  private file(jobId: string): string {
    return path.join(this.dir, `${jobId.replace(/[^A-Za-z0-9_-]/g, "_")}.json`);
  }

  read(jobId: string): JobRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.file(jobId), "utf8")) as JobRecord;
    } catch {
      return undefined; // missing or torn: treat as never seen (renames make torn files unlikely)
    }
  }

  write(record: JobRecord): void {
    ensurePrivateDir(this.dir);
    writeAtomic(this.file(record.jobId), `${JSON.stringify(record)}\n`, 0o600);
  }

  /** Every record on disk (a torn or foreign file is skipped). */
  list(): JobRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.flatMap((name) => {
      if (!name.endsWith(".json")) return [];
      try {
        const r = JSON.parse(readFileSync(path.join(this.dir, name), "utf8")) as JobRecord;
        return typeof r.jobId === "string" ? [r] : [];
      } catch {
        return [];
      }
    });
  }

  remove(jobId: string): void {
    rmSync(this.file(jobId), { force: true });
  }
}
