/**
 * @module durable-objects/feed/artifact-rpc
 * The JobFeed's lower layer: its storage set-up, what every layer shares (the job it belongs to, broadcasting to
 * watchers), and its artifact RPC methods — pointers (feed/artifacts) and the write-ahead intents and doomed keys
 * that let no crash leave bytes in R2 for ever (feed/upload-intents). JobFeed adds the event log, the watchers and
 * the retention purge on top.
 *
 * The feed's alarm is armed only while an intent or a doomed key waits (`nextSweepAt`), set in the same turn as the
 * rows that need it, and runs `sweep`, which is idempotent.
 */
import { DurableObject } from "cloudflare:workers";
import { DomainError, failure, type Outcome } from "../../core/errors.ts";
import type { JobEvent } from "../../shared/protocol.ts";
import { execute } from "../sql-statements.ts";
import {
  type ArtifactPointer,
  commitPointer,
  deletePointer,
  getPointer,
  listPointers,
  reserveUpload,
} from "./artifacts.ts";
import { FEED_SCHEMA_SQL } from "./event-log.ts";
import { feedKeepAliveMs } from "./keepalive-setting.ts";
import { deleteDoomedBytes } from "./purge.ts";
import { SseWatchers } from "./sse.ts";
import {
  abandonIntent,
  applyUploadIntentsSchema,
  doomStaleIntents,
  nextSweepAt,
  UPLOAD_INTENTS_SQL,
} from "./upload-intents.ts";
import { broadcastToWatchers } from "./ws-watchers.ts";

export abstract class ArtifactRpc extends DurableObject<Env> {
  protected readonly sql: SqlStorage;
  protected readonly sse: SseWatchers;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sse = new SseWatchers(feedKeepAliveMs(env.FEED_KEEPALIVE_SECONDS));
    // Synchronous, in the constructor's own turn: nothing can run before it, and a new feed's first append
    // commits together with its schema (a feed is created per job: its set-up is on every job's path).
    execute(this.sql, FEED_SCHEMA_SQL + UPLOAD_INTENTS_SQL);
    applyUploadIntentsSchema(this.sql);
  }

  // ---- artifacts (pointers; bytes are in R2; feed/artifacts, feed/upload-intents) ----------

  /**
   * Before an upload streams: refused (`feed_purged`, `too_many_artifacts`, `payload_too_large`) if its commit
   * would be or if the uploads already in flight hold the room it needs, else its key recorded as an intent —
   * bytes the feed deletes unless a commit takes them — that reserves its name and `size` (declared bytes) until
   * it commits, fails or is given up (feed/artifacts `reserveUpload`). `settledAt`: the job's `updatedAt` if it is
   * terminal, else null.
   */
  async intendUpload(
    productId: string,
    jobId: string,
    upload: { r2Key: string; name: string; size: number; settledAt: number | null },
  ): Promise<Outcome<null>> {
    const refused = this.ctx.storage.transactionSync(() => {
      this.remember(productId, jobId);
      const { r2Key, name, size, settledAt } = upload;
      return reserveUpload(this.sql, jobId, r2Key, { name, size }, settledAt, Date.now());
    });
    if (refused) return failure(refused);
    await this.armSweep();
    return { ok: true, value: null };
  }

  /**
   * Record a pointer the coordinator fenced (see coordinator/jobs/artifact-commit), consuming its upload's intent;
   * refused, changing nothing, by what `intendUpload` checks or when the intent is gone. Returns the pointer it
   * replaced, whose key is doomed (`sweep` deletes the bytes). `answerBy` (ms since the epoch): when the coordinator
   * stops waiting for this answer (jobs/artifact-commit `putWithin`) and tells its uploader nothing was recorded — a
   * call that arrives at or past it (this feed was slow) is refused, and its upload given up here (the bytes doomed).
   */
  async putArtifact(
    p: ArtifactPointer,
    settledAt: number | null,
    answerBy?: number,
  ): Promise<Outcome<ArtifactPointer | null>> {
    if (answerBy !== undefined && Date.now() >= answerBy) return this.tooLate(p);
    this.remember(p.r2Key.split("/")[0] ?? "", p.jobId);
    const done = this.ctx.storage.transactionSync(() => commitPointer(this.sql, p, settledAt));
    if ("refused" in done) return failure(done.refused);
    // Broadcast in the commit's own synchronous step, as `append` does: after the await below, an append let in
    // meanwhile broadcast a later seq first, and readers that drop seqs at or below the last one shown lost this one.
    this.broadcast(done.added);
    await this.armSweep();
    return { ok: true, value: done.replaced };
  }

  /** A pointer call past its `answerBy`: its upload given up, as its uploader was told (coordinator `commitOutOfTime`). */
  private async tooLate(p: ArtifactPointer): Promise<Outcome<ArtifactPointer | null>> {
    this.ctx.storage.transactionSync(() => abandonIntent(this.sql, p.r2Key));
    await this.armSweep();
    return failure(
      new DomainError("unavailable", `the commit of ${p.name} reached its job's feed after its time: upload it again`),
    );
  }

  /** The upload of `r2Key` is given up (refused, broken, or its commit's answer lost): its bytes go unless committed. */
  async abandonUpload(r2Key: string): Promise<void> {
    this.ctx.storage.transactionSync(() => abandonIntent(this.sql, r2Key));
    await this.sweep();
  }

  /** A page of pointers after the name `after` ("" first), in name order; `more` when others follow. */
  async listArtifacts(after: string, limit: number): Promise<{ pointers: ArtifactPointer[]; more: boolean }> {
    return listPointers(this.sql, this.meta("job_id") ?? "", after, limit);
  }

  async getArtifact(name: string): Promise<ArtifactPointer | null> {
    return getPointer(this.sql, this.meta("job_id") ?? "", name);
  }

  /** Removes the pointer `name` and dooms its key (`sweep` deletes the bytes). Returns what it pointed to, or null. */
  async deleteArtifact(name: string, at: number): Promise<ArtifactPointer | null> {
    const jobId = this.meta("job_id") ?? "";
    const { added, removed } = this.ctx.storage.transactionSync(() => deletePointer(this.sql, jobId, name, at));
    this.broadcast(added); // before any await, as in `putArtifact`: no later seq may overtake it
    await this.armSweep();
    return removed;
  }

  /**
   * Deletes the bytes of every doomed key, stale intents first doomed (feed/upload-intents); what R2 refused stays
   * for the alarm. Idempotent. @returns how many keys' bytes were deleted
   */
  async sweep(): Promise<number> {
    this.ctx.storage.transactionSync(() => doomStaleIntents(this.sql, Date.now()));
    let deleted = 0;
    try {
      deleted = await this.deleteDoomed();
    } catch (err) {
      console.warn(
        `artifact bytes of ${this.meta("product_id")}/${this.meta("job_id")} not deleted yet: ${String(err)}`,
      );
    }
    await this.armSweep();
    return deleted;
  }

  override async alarm(): Promise<void> {
    await this.sweep();
  }

  /** The alarm set to when the next sweep is due, if anything waits (feed/upload-intents `nextSweepAt`). */
  protected async armSweep(): Promise<void> {
    const at = nextSweepAt(this.sql, Date.now());
    if (at !== null) await this.ctx.storage.setAlarm(at);
  }

  /** The doomed keys' bytes deleted (feed/purge). @throws whatever R2 throws: the rest stays doomed */
  protected async deleteDoomed(): Promise<number> {
    return deleteDoomedBytes(this.sql, this.env.ARTIFACTS);
  }

  protected broadcast(events: readonly JobEvent[]): void {
    if (events.length === 0) return;
    broadcastToWatchers(this.ctx, events);
    this.sse.broadcast(events);
  }

  protected remember(productId: string, jobId: string): void {
    if (this.meta("job_id") === jobId) return;
    execute(
      this.sql,
      "INSERT OR REPLACE INTO meta(key, value) VALUES ('job_id', ?), ('product_id', ?)",
      jobId,
      productId,
    );
  }

  protected meta(key: string): string | undefined {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
  }
}
