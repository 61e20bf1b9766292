/**
 * @module durable-objects/coordinator/job-list
 * Listing jobs newest first with an opaque cursor (the last row's created_at
 * and id), so pages never repeat or skip a job while new ones arrive.
 */
import { DomainError } from "../../core/errors.ts";
import type { Job, Stage } from "../../core/model.ts";
import type { JobPage } from "../../shared/responses.ts";

export type { JobPage };

export function listJobs(sql: SqlStorage, q: { stage?: Stage; limit: number; cursor?: string }): JobPage {
  const [cAt, cId] = q.cursor ? decodeCursor(q.cursor) : [Number.MAX_SAFE_INTEGER, "\uffff"];
  const rows = sql
    .exec<{ doc: string; created_at: number; id: string }>(
      `SELECT doc, created_at, id FROM jobs
        WHERE (?1 IS NULL OR stage = ?1) AND (created_at < ?2 OR (created_at = ?2 AND id < ?3))
        ORDER BY created_at DESC, id DESC LIMIT ?4`,
      q.stage ?? null,
      cAt,
      cId,
      q.limit + 1,
    )
    .toArray();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    jobs: page.map((r) => JSON.parse(r.doc) as Job),
    ...(rows.length > q.limit && last ? { nextCursor: encodeCursor(last.created_at, last.id) } : {}),
  };
}

function encodeCursor(createdAt: number, id: string): string {
  return btoa(`${createdAt}:${id}`).replace(/=+$/, "");
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const [at, id] = atob(cursor).split(":");
    const n = Number(at);
    if (!Number.isSafeInteger(n) || !id) throw new Error("bad cursor");
    return [n, id];
  } catch {
    throw new DomainError("validation_failed", "cursor is not one this API issued");
  }
}
