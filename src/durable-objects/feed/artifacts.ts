/**
 * @module durable-objects/feed/artifacts
 * A job's artifact pointers in its JobFeed's SQLite (the bytes are in R2): one
 * row per name, replaced whole by a newer upload, with an `artifact.added` or
 * `artifact.deleted` event appended in the same transaction.
 *
 * The feed does not decide who may write: the ProductCoordinator commits a
 * pointer only after fencing the uploader's lease, holding off lease changes
 * until the write here is done (`coordinator/jobs/artifact-commit.ts`). What the
 * feed decides, in the commit's own transaction (`commitPointer`), is what only it
 * can know exactly: that the upload's intent is still open (feed/upload-intents),
 * that the job has room for it (core/artifact-limits), and that retention has not
 * purged this job's feed since the job ended (feed/purge `purgedRefusal`). Room is
 * first reserved when the upload begins (`reserveUpload`), counting the uploads in
 * flight, so the commit's check is only the last guard. The
 * key of a replaced or deleted pointer is doomed in the same transaction, so its
 * bytes are deleted even if the request dies right after.
 */
import { type ArtifactHold, artifactRefusal, reservationRefusal } from "../../core/artifact-limits.ts";
import { DomainError } from "../../core/errors.ts";
import type { JobEvent } from "../../shared/protocol.ts";
import { execute, withLimit } from "../sql-statements.ts";
import { appendEvents } from "./event-log.ts";
import { purgedRefusal } from "./purge.ts";
import { doom, openIntents, recordIntent, takeIntent } from "./upload-intents.ts";

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

/**
 * Up to `limit` pointers with names after `after` ("" for the first page), in name order; `more` when others follow.
 * Names are unique, so the last name of a page is an exact cursor.
 */
export function listPointers(
  sql: SqlStorage,
  jobId: string,
  after: string,
  limit: number,
): { pointers: ArtifactPointer[]; more: boolean } {
  const rows = sql
    .exec<PointerRow>(withLimit("SELECT * FROM artifacts WHERE name > ? ORDER BY name LIMIT {limit}", limit + 1), after)
    .toArray();
  return { pointers: rows.slice(0, limit).map((r) => rowToPointer(jobId, r)), more: rows.length > limit };
}

/** What the job keeps beside the artifact `name` (which an upload of that name replaces): count and bytes. */
export function usageBeside(sql: SqlStorage, name: string): { count: number; bytes: number } {
  return sql
    .exec<{ count: number; bytes: number }>(
      "SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM artifacts WHERE name <> ?",
      name,
    )
    .one();
}

/**
 * An upload begins (call inside a transaction): refused if retention purged the feed of the job as it is
 * (`settledAt`, as in `uploadRefusal`) or if the job, counting the uploads in flight, has no room for `upload`
 * (core/artifact-limits `reservationRefusal`); else its key recorded as an intent at `at` (ms) that reserves its
 * name and declared size until it commits, fails or is given up (feed/upload-intents).
 */
export function reserveUpload(
  sql: SqlStorage,
  jobId: string,
  r2Key: string,
  upload: ArtifactHold,
  settledAt: number | null,
  at: number,
): DomainError | undefined {
  const kept = sql.exec<{ name: string; size: number }>("SELECT name, size FROM artifacts").toArray();
  const refusal =
    purgedRefusal(sql, jobId, settledAt) ??
    reservationRefusal(
      jobId,
      kept.map(({ name, size }) => ({ name, size })),
      openIntents(sql),
      upload,
    );
  if (!refusal) recordIntent(sql, r2Key, upload, at);
  return refusal;
}

/**
 * Whether an upload of `size` bytes under `name` may be committed: retention has not purged the feed of
 * the job as it is (`settledAt`: the job's `updatedAt` when it is terminal, else null), and the job has room.
 */
export function uploadRefusal(
  sql: SqlStorage,
  jobId: string,
  name: string,
  size: number,
  settledAt: number | null,
): DomainError | undefined {
  return purgedRefusal(sql, jobId, settledAt) ?? artifactRefusal(jobId, usageBeside(sql, name), size);
}

/**
 * The commit (call inside a transaction): `p` recorded if its upload's intent is still open and `uploadRefusal`
 * finds nothing against it; the pointer it replaces handed back, its key doomed. A refusal changes nothing.
 */
export function commitPointer(
  sql: SqlStorage,
  p: ArtifactPointer,
  settledAt: number | null,
): { refused: DomainError } | { added: JobEvent[]; replaced: ArtifactPointer | null } {
  const refused = uploadRefusal(sql, p.jobId, p.name, p.size, settledAt);
  if (refused) return { refused };
  if (!takeIntent(sql, p.r2Key)) {
    return {
      refused: new DomainError(
        "conflict",
        `the upload of ${p.name} was given up before its commit (it outlived its time, or its request failed): its ` +
          "bytes are deleted; upload it again",
      ),
    };
  }
  return putPointer(sql, p);
}

export function getPointer(sql: SqlStorage, jobId: string, name: string): ArtifactPointer | null {
  const row = sql.exec<PointerRow>("SELECT * FROM artifacts WHERE name = ?", name).toArray()[0];
  return row ? rowToPointer(jobId, row) : null;
}

/**
 * Record `p`, replacing any pointer of the same name. Call inside a
 * transaction. Returns the events appended (to broadcast) and the pointer it
 * replaced (unless it named the same object), whose key is doomed here.
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
  if (replaced && replaced.r2Key !== p.r2Key) doom(sql, replaced.r2Key);
  return { added, replaced: replaced && replaced.r2Key !== p.r2Key ? replaced : null };
}

/** Remove the pointer `name` and doom its key. Call inside a transaction. Returns what it pointed to, or null. */
export function deletePointer(
  sql: SqlStorage,
  jobId: string,
  name: string,
  at: number,
): { added: JobEvent[]; removed: ArtifactPointer | null } {
  const removed = getPointer(sql, jobId, name);
  if (!removed) return { added: [], removed: null };
  execute(sql, "DELETE FROM artifacts WHERE name = ?", name);
  doom(sql, removed.r2Key);
  return { added: appendEvents(sql, [{ type: "artifact.deleted", at, data: { name } }]), removed };
}
