/**
 * @module durable-objects/coordinator/jobs/list
 * Listing jobs newest first with an opaque cursor (the last row's created_at
 * and id), so pages never repeat or skip a job while new ones arrive.
 *
 * A page is bounded in bytes, not only in rows: summaries leave `bodyMd` (up to
 * 256 KiB per job) inside SQLite (`json_remove`), and whole documents
 * (`fields: "full"`) are read row by row until MAX_FULL_PAGE_BYTES — 500 full
 * jobs used to be 128 MiB parsed in the coordinator and sent in one response.
 */
import { utf8Bytes } from "../../../core/bytes.ts";
import { DomainError } from "../../../core/errors.ts";
import type { Job, Stage } from "../../../core/model.ts";
import type { JobPage } from "../../../shared/responses.ts";
import { withLimit } from "../../sql-statements.ts";

/** A stored job without its body; the API adds `waitingReason` on read (coordinator/jobs/waiting). */
type JobSummary = Omit<Job, "bodyMd">;

export type { JobPage };

/** 4 MiB of documents per full page: at least 16 maximal (256 KiB) bodies, and far below a Worker's memory. */
export const MAX_FULL_PAGE_BYTES = 4 * 1024 * 1024;

export interface JobListQuery {
  stage?: Stage;
  /** Rows at most; a full page may end earlier at MAX_FULL_PAGE_BYTES (then `nextCursor` continues it). */
  limit: number;
  cursor?: string;
  /** "summary" (default): no `bodyMd`; "full": whole documents. */
  fields?: "summary" | "full";
}

/** Newest first. Throws DomainError `validation_failed` for a cursor this API did not issue. */
export function listJobs(sql: SqlStorage, q: JobListQuery): JobPage<JobSummary | Job> {
  const full = q.fields === "full";
  const [cAt, cId] = q.cursor ? decodeCursor(q.cursor) : [Number.MAX_SAFE_INTEGER, "\uffff"];
  // Two statements, not `(?1 IS NULL OR stage = ?1)`: that form cannot use jobs_by_stage_created, so listing a
  // rare stage walked every job of the product (the dashboard counts every stage on each refresh).
  const rows = sql.exec<{ doc: string; created_at: number; id: string }>(
    withLimit(
      `SELECT ${full ? "doc" : "json_remove(doc, '$.bodyMd') AS doc"}, created_at, id FROM jobs
        WHERE ${q.stage ? "stage = ?3 AND" : ""} (created_at < ?1 OR (created_at = ?1 AND id < ?2))
        ORDER BY created_at DESC, id DESC LIMIT {limit}`,
      q.limit + 1,
    ),
    cAt,
    cId,
    ...(q.stage ? [q.stage] : []),
  );
  const jobs: Array<JobSummary | Job> = [];
  let bytes = 0;
  let last: { created_at: number; id: string } | undefined;
  let more = false;
  // The cursor steps row by row: rows past the page's end are never read into memory.
  for (const row of rows) {
    const size = full ? utf8Bytes(row.doc) : 0;
    if (jobs.length === q.limit || (jobs.length > 0 && bytes + size > MAX_FULL_PAGE_BYTES)) {
      more = true;
      break;
    }
    bytes += size;
    jobs.push(JSON.parse(row.doc) as JobSummary | Job);
    last = row;
  }
  return { jobs, ...(more && last ? { nextCursor: encodeCursor(last.created_at, last.id) } : {}) };
}

function encodeCursor(createdAt: number, id: string): string {
  return btoa(`${createdAt}:${id}`).replace(/=+$/, "");
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const [at, id] = atob(cursor).split(":");
    // Digits only, as issued: Number() would also read "0x10" or "1e3".
    const n = /^\d{1,16}$/.test(at ?? "") ? Number(at) : Number.NaN;
    if (!Number.isSafeInteger(n) || !id) throw new Error("bad cursor");
    return [n, id];
  } catch {
    throw new DomainError("validation_failed", "cursor is not one this API issued");
  }
}
