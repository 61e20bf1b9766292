/**
 * @module durable-objects/feed/artifacts
 * A job's artifact pointers in its JobFeed's SQLite (the bytes are in R2): one
 * row per name, replaced whole by a newer upload, with an `artifact.added` or
 * `artifact.deleted` event appended in the same transaction.
 *
 * The feed does not decide who may write: the ProductCoordinator commits a
 * pointer only after fencing the uploader's lease, holding off lease changes
 * until the write here is done (`coordinator/jobs/artifact-commit.ts`). What the feed
 * guarantees is that a replaced pointer is handed back, so the caller deletes
 * the bytes nothing points to any more.
 */
import type { JobEvent } from "../../shared/protocol.ts";
import { execute } from "../sql-statements.ts";
import { appendEvents } from "./event-log.ts";

/** Where an artifact's bytes are and what they are. `r2Key` never leaves the server. */
export interface ArtifactPointer {
  jobId: string;
  name: string;
  /** `<product>/<job>/<lease epoch | operator>/<upload id>/<name>`: every upload has its own object. */
  r2Key: string;
  /** Bytes. */
  size: number;
  /** As the uploader declared it; served only if it is on the safe list (worker/artifact-headers). */
  contentType: string;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  /** ms since the epoch. */
  createdAt: number;
  uploadedBy: string;
}

interface PointerRow extends Record<string, SqlStorageValue> {
  name: string;
  r2_key: string;
  size: number;
  content_type: string;
  sha256: string;
  created_at: number;
  uploaded_by: string;
}

function rowToPointer(jobId: string, r: PointerRow): ArtifactPointer {
  return {
    jobId,
    name: r.name,
    r2Key: r.r2_key,
    size: r.size,
    contentType: r.content_type,
    sha256: r.sha256,
    createdAt: r.created_at,
    uploadedBy: r.uploaded_by,
  };
}

export function listPointers(sql: SqlStorage, jobId: string): ArtifactPointer[] {
  return sql
    .exec<PointerRow>("SELECT * FROM artifacts ORDER BY name")
    .toArray()
    .map((r) => rowToPointer(jobId, r));
}

export function getPointer(sql: SqlStorage, jobId: string, name: string): ArtifactPointer | null {
  const row = sql.exec<PointerRow>("SELECT * FROM artifacts WHERE name = ?", name).toArray()[0];
  return row ? rowToPointer(jobId, row) : null;
}

/**
 * Record `p`, replacing any pointer of the same name. Call inside a
 * transaction. Returns the events appended (to broadcast) and the pointer it
 * replaced, whose bytes the caller must delete (unless it is the same object).
 */
export function putPointer(
  sql: SqlStorage,
  p: ArtifactPointer,
): { added: JobEvent[]; replaced: ArtifactPointer | null } {
  const replaced = getPointer(sql, p.jobId, p.name);
  execute(
    sql,
    `INSERT INTO artifacts(name, r2_key, size, content_type, sha256, created_at, uploaded_by) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET r2_key = excluded.r2_key, size = excluded.size, content_type = excluded.content_type,
       sha256 = excluded.sha256, created_at = excluded.created_at, uploaded_by = excluded.uploaded_by`,
    p.name,
    p.r2Key,
    p.size,
    p.contentType,
    p.sha256,
    p.createdAt,
    p.uploadedBy,
  );
  const { jobId: _j, r2Key: _k, ...data } = p;
  const added = appendEvents(sql, [{ type: "artifact.added", at: p.createdAt, data }]);
  return { added, replaced: replaced && replaced.r2Key !== p.r2Key ? replaced : null };
}

/** Remove the pointer `name`. Call inside a transaction. Returns what it pointed to, or null. */
export function deletePointer(
  sql: SqlStorage,
  jobId: string,
  name: string,
  at: number,
): { added: JobEvent[]; removed: ArtifactPointer | null } {
  const removed = getPointer(sql, jobId, name);
  if (!removed) return { added: [], removed: null };
  execute(sql, "DELETE FROM artifacts WHERE name = ?", name);
  return { added: appendEvents(sql, [{ type: "artifact.deleted", at, data: { name } }]), removed };
}
