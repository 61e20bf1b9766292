/**
 * @module durable-objects/feed/upload-intents
 * Write-ahead records for artifact bytes, so that no crash, at any point of an upload, leaves bytes in R2 that
 * nothing will delete. Every R2 object of a job is, at every instant, named by one of: a pointer (`artifacts`), an
 * intent (`upload_intents`: an upload under way), or a doomed key (`doomed_bytes`: bytes to delete).
 *
 * - Before an upload streams, its key is recorded as an intent (`recordIntent`), with the name and declared size it
 *   reserves of the job's limits (core/artifact-limits `reservationRefusal`, checked against `openIntents` in the
 *   same transaction): the intent *is* the reservation, so whatever drops it — the commit, an abandon, the sweep —
 *   releases the room too. Rows are bounded: at most MAX_ARTIFACTS_PER_JOB of them can be open at once, each a key
 *   and a name of bounded length (shared/api `ArtifactName`: ASCII, so its UTF-8 bytes are its length).
 * - The commit consumes the intent in the same transaction that records the pointer (`takeIntent`), and dooms the
 *   key of the pointer it replaces there too (feed/artifacts): the replaced bytes are deleted later, durably.
 * - A refused or broken upload is abandoned (`abandonIntent`): its key is doomed unless a pointer names it — a commit
 *   whose answer was lost did land, and its bytes stay. A commit arriving after that finds no intent and is refused.
 * - An intent older than UPLOAD_INTENT_TTL_MS is a dead request's (the Worker died mid-stream, or between the commit
 *   and its answer): the feed's alarm dooms it (`doomStaleIntents`), unless a pointer names it.
 * - Doomed keys' bytes are deleted by the feed's sweep (the route calls it after each upload and delete; the alarm,
 *   armed from these tables by `nextSweepAt`, retries what failed, backed off while R2 keeps refusing), each row
 *   dropped once R2 confirmed (feed/purge).
 */
import { type ArtifactHold, UPLOAD_INTENT_TTL_MS } from "../../core/artifact-limits.ts";
import { columnsOf, execute } from "../sql-statements.ts";

/** Appended to the feed's schema (feed/event-log); `applyUploadIntentsSchema` brings an older table up to it. */
export const UPLOAD_INTENTS_SQL = `
CREATE TABLE IF NOT EXISTS upload_intents (r2_key TEXT PRIMARY KEY, at INTEGER NOT NULL, name TEXT, size INTEGER);
`;

/**
 * Adds `name` and `size` to an `upload_intents` made before intents reserved room (idempotent). Such an intent's
 * name is its key's last segment (worker/routes/artifacts builds keys so); its size was never recorded, so it
 * reserves its slot and no bytes — the commit's check still guards it, and it expires within UPLOAD_INTENT_TTL_MS.
 */
export function applyUploadIntentsSchema(sql: SqlStorage): void {
  const cols = columnsOf(sql, "upload_intents");
  if (!cols.has("size")) execute(sql, "ALTER TABLE upload_intents ADD COLUMN size INTEGER");
  if (cols.has("name")) return;
  execute(sql, "ALTER TABLE upload_intents ADD COLUMN name TEXT");
  for (const { k } of sql.exec<{ k: string }>("SELECT r2_key AS k FROM upload_intents").toArray()) {
    execute(sql, "UPDATE upload_intents SET name = ? WHERE r2_key = ?", k.split("/").at(-1) ?? k, k);
  }
}

/** The uploads in flight: each open intent's name and declared size, bytes (0 for one recorded before sizes were). */
export function openIntents(sql: SqlStorage): ArtifactHold[] {
  return sql
    .exec<{ name: string; size: number }>("SELECT name, COALESCE(size, 0) AS size FROM upload_intents")
    .toArray()
    .map(({ name, size }) => ({ name, size }));
}

/**
 * An upload of `r2Key` begins at `at` (ms), reserving `upload` (its name and declared size, bytes): its bytes are the
 * feed's to delete unless a commit takes them. The caller checked the reservation in the same transaction.
 */
export function recordIntent(sql: SqlStorage, r2Key: string, upload: ArtifactHold, at: number): void {
  execute(
    sql,
    "INSERT OR REPLACE INTO upload_intents(r2_key, at, name, size) VALUES (?, ?, ?, ?)",
    r2Key,
    at,
    upload.name,
    upload.size,
  );
}

/**
 * In the commit's transaction: the intent of `r2Key` consumed. `false` when there is none — the upload was
 * abandoned or expired and its bytes doomed (maybe deleted already): the commit must be refused.
 */
export function takeIntent(sql: SqlStorage, r2Key: string): boolean {
  return execute(sql, "DELETE FROM upload_intents WHERE r2_key = ?", r2Key) > 0;
}

/** `r2Key`'s bytes are to be deleted (a replaced or deleted pointer's, a retention purge's, an abandoned upload's). */
export function doom(sql: SqlStorage, r2Key: string): void {
  execute(sql, "INSERT OR IGNORE INTO doomed_bytes(r2_key) VALUES (?)", r2Key);
}

/** The upload of `r2Key` is given up: its intent dropped, its bytes doomed unless a pointer names them. */
export function abandonIntent(sql: SqlStorage, r2Key: string): void {
  execute(sql, "DELETE FROM upload_intents WHERE r2_key = ?", r2Key);
  if (sql.exec("SELECT 1 FROM artifacts WHERE r2_key = ?", r2Key).toArray().length === 0) doom(sql, r2Key);
}

/**
 * Intents recorded at or before `now - UPLOAD_INTENT_TTL_MS` abandoned (their requests are dead). At, not only
 * before: `nextSweepAt` wakes the alarm at `at + UPLOAD_INTENT_TTL_MS`, and an alarm that ran at that very instant,
 * finding the intent not yet stale, re-armed itself for the instant it ran, again and again.
 * @returns how many
 */
export function doomStaleIntents(sql: SqlStorage, now: number): number {
  const stale = sql
    .exec<{ k: string }>("SELECT r2_key AS k FROM upload_intents WHERE at <= ?", now - UPLOAD_INTENT_TTL_MS)
    .toArray();
  for (const { k } of stale) abandonIntent(sql, k);
  return stale.length;
}

/** A sweep that failed (R2 refused a delete) is retried this much later by the alarm: a minute, R2's blip. */
export const SWEEP_RETRY_MS = 60_000;

/** The longest the feed's alarm waits between retries of bytes R2 keeps refusing: an hour, ~24 tries a day. */
export const DOOMED_RETRY_MAX_MS = 3_600_000;

/** Meta key: how many times in a row R2 refused to delete this feed's doomed keys (absent: none). */
const REFUSALS_KEY = "doomed_refusals";

/** R2 refused to delete doomed keys once more: the alarm's next retry backs off further (`nextSweepAt`). */
export function sweepRefused(sql: SqlStorage): void {
  execute(sql, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", REFUSALS_KEY, String(refusals(sql) + 1));
}

/** No doomed key is left (R2 took them all): the next one is retried after SWEEP_RETRY_MS again. */
export function sweepCleared(sql: SqlStorage): void {
  if (refusals(sql) > 0) execute(sql, "DELETE FROM meta WHERE key = ?", REFUSALS_KEY);
}

function refusals(sql: SqlStorage): number {
  const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", REFUSALS_KEY).toArray()[0];
  return row ? Number(row.value) || 0 : 0;
}

/**
 * When the feed's alarm must next run to keep every key above bounded, ms; null when nothing waits. The one rule for
 * every arming of the alarm (an upload's intent, a commit, a delete, a sweep, a purge):
 * - doomed bytes: SWEEP_RETRY_MS from `now` (the route sweeps at once; the alarm is the fallback), doubled for each
 *   refusal of R2's in a row past the first, at most DOOMED_RETRY_MAX_MS — a fixed minute had every feed whose bytes
 *   R2 kept refusing wake once a minute for ever;
 * - an intent: when it expires.
 */
export function nextSweepAt(sql: SqlStorage, now: number): number | null {
  const doomed = sql.exec("SELECT 1 FROM doomed_bytes LIMIT 1").toArray().length > 0;
  const oldest = sql.exec<{ at: number | null }>("SELECT MIN(at) AS at FROM upload_intents").one().at;
  const backoff = Math.min(SWEEP_RETRY_MS * 2 ** Math.min(Math.max(refusals(sql) - 1, 0), 16), DOOMED_RETRY_MAX_MS);
  const at = Math.min(doomed ? now + backoff : Infinity, oldest === null ? Infinity : oldest + UPLOAD_INTENT_TTL_MS);
  return Number.isFinite(at) ? at : null;
}
