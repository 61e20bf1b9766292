/**
 * @module durable-objects/product-coordinator
 * One Durable Object per product: the single writer for its jobs, factories,
 * leases, tokens and queue version. Each public method is one atomic unit over
 * the store modules in `./coordinator/` (see `CoordinatorRuntime.unit`), so
 * claims are exclusive and fencing is exact. Methods return `Outcome`s: domain
 * refusals are data, not exceptions.
 */
import { DomainError, type Outcome } from "../core/errors.ts";
import type { Factory, Stage } from "../core/model.ts";
import { retentionCutoffs } from "../core/retention.ts";
import { DEFAULT_WEIGHTS, jobUrgency, rankFactories } from "../core/router.ts";
import type { Explanation } from "../shared/responses.ts";
import {
  assertFactoryMayRead,
  factoryTokenHashOf,
  recordWatcher,
  takeWatchedJobs,
  tokenHashOf,
} from "./coordinator/access.ts";
import { type ActionInput, applyAction, type JobAction } from "./coordinator/actions.ts";
import {
  type ArtifactCommit,
  type ArtifactUploader,
  checkUploader,
  exclusively,
} from "./coordinator/artifact-commit.ts";
import { claimFor, routeContext } from "./coordinator/claim.ts";
import { consumeEnrollmentCode, type EnrollmentCodeInfo, mintEnrollmentCode } from "./coordinator/enrollment.ts";
import { exclusionsOf } from "./coordinator/exclusions.ts";
import {
  deleteFactory,
  enrollFactory,
  listFactories,
  requireFactory,
  setFactoryToken,
  updateFactory,
} from "./coordinator/factories.ts";
import { FactoryConnections } from "./coordinator/factory-connections.ts";
import { approveGrant, declareFactory } from "./coordinator/factory-grants.ts";
import { attachmentOf, staleSocketReason } from "./coordinator/factory-sockets.ts";
import { keyVerdicts } from "./coordinator/idempotency.ts";
import { type JobListQuery, listJobs } from "./coordinator/job-list.ts";
import { requireJob } from "./coordinator/job-rows.ts";
import { expireDue, fence, heldAssignments, releaseLease, renewLease, requeueHeldBy } from "./coordinator/lease-ops.ts";
import { queueVersion } from "./coordinator/meta.ts";
import { enqueueAudit } from "./coordinator/outbox.ts";
import { keepDeadLetters, listDeadLetters, type StoredDeadLetter } from "./coordinator/outbox-dead-letters.ts";
import { feedName } from "./coordinator/outbox-delivery.ts";
import { type PatchBody, patchJob } from "./coordinator/report.ts";
import { advanceFeedWatermark, feedsDue, pruneRows, purgeFeeds } from "./coordinator/retention.ts";
import { listRuns } from "./coordinator/runs.ts";
import { type SubmitInput, submitJob } from "./coordinator/submit.ts";
import { authenticate, listTokens, mintToken, revokeToken, type TokenRole } from "./coordinator/tokens.ts";
import type { Tx } from "./coordinator/tx.ts";
import type { ArtifactPointer } from "./feed/artifacts.ts";
import { closeFeedStreams } from "./feed/revocation.ts";

export class ProductCoordinator extends FactoryConnections {
  // ---- auth ------------------------------------------------------------------------

  async authenticate(productId: string, tokenHash: string) {
    return this.unit(productId, (tx) => authenticate(tx.sql, tokenHash, tx.now) ?? null);
  }

  async mintToken(productId: string, role: TokenRole, name: string, hash: string, actor: string) {
    return this.unit(productId, (tx) => {
      const info = mintToken(tx, role, name, hash);
      enqueueAudit(tx, actor, "token.mint", info.id, { role, name });
      return info;
    });
  }

  async revokeToken(productId: string, id: string, actor: string) {
    let watched: { hash: string; jobs: string[] } | undefined;
    const outcome = await this.unit(productId, (tx) => {
      const info = revokeToken(tx, id);
      const hash = tokenHashOf(tx.sql, id);
      if (hash) watched = { hash, jobs: takeWatchedJobs(tx, hash) };
      enqueueAudit(tx, actor, "token.revoke", id);
      return info;
    });
    if (outcome.ok && watched) await closeFeedStreams(this.env, productId, watched.hash, watched.jobs);
    return outcome;
  }

  // ---- least privilege: factory reads, live feed streams ------------------------------

  /** Refuses (forbidden) unless the factory holds or held the job (worker/auth `requireJobReader`). */
  async checkFactoryRead(productId: string, factoryId: string, jobId: string) {
    return this.unit(productId, (tx) => {
      assertFactoryMayRead(tx.sql, factoryId, jobId);
      return true;
    });
  }

  /** A feed stream of `jobId` is opening with the token of this hash: remember it for revocation. */
  async recordFeedWatcher(productId: string, jobId: string, tokenHash: string) {
    return this.unit(productId, (tx) => {
      recordWatcher(tx, tokenHash, jobId);
      return true;
    });
  }

  /** Close the feed streams opened by a factory token that is being replaced or removed. */
  private async closeFactoryStreams(productId: string, watched: { hash: string; jobs: string[] } | undefined) {
    if (watched) await closeFeedStreams(this.env, productId, watched.hash, watched.jobs);
  }

  async listTokens(productId: string) {
    return this.unit(productId, (tx) => listTokens(tx.sql));
  }

  // ---- jobs ------------------------------------------------------------------------

  async submit(productId: string, input: SubmitInput, actor: string) {
    return this.unit(productId, (tx) => submitJob(tx, input, actor));
  }

  /** Many submissions in one unit (bulk / queue delivery); each idempotent by its key. */
  async submitMany(productId: string, inputs: SubmitInput[], actor: string) {
    return this.unit(productId, (tx) =>
      inputs.map((input) => {
        try {
          const { job, created } = submitJob(tx, input, actor);
          return { ok: true as const, jobId: job.id, created };
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          return { ok: false as const, code: err.code, message: err.message, key: input.manifest.idempotencyKey };
        }
      }),
    );
  }

  /** Read-only: what submitting each keyed request would meet (new / exists / conflict), before it is queued. */
  async checkKeys(productId: string, entries: Array<{ key: string; hash: string }>) {
    return this.unit(productId, (tx) => keyVerdicts(tx.sql, entries));
  }

  async getJob(productId: string, id: string) {
    return this.unit(productId, (tx) => requireJob(tx.sql, id));
  }

  async listJobs(productId: string, q: JobListQuery) {
    return this.unit(productId, (tx) => listJobs(tx.sql, q));
  }

  async listRuns(productId: string, jobId: string) {
    return this.unit(productId, (tx) => {
      requireJob(tx.sql, jobId);
      return listRuns(tx.sql, jobId);
    });
  }

  async explain(productId: string, jobId: string) {
    return this.unit(productId, (tx): Explanation => {
      const job = requireJob(tx.sql, jobId);
      const ctx = routeContext(tx);
      const weights = ctx.weights ?? DEFAULT_WEIGHTS;
      const { ranked, rejected } = rankFactories(job, listFactories(tx.sql, tx.now), ctx);
      // Every remembered exclusion, also those whose backoff ended (their strikes still count).
      const exclusions = exclusionsOf(tx.sql, job.id);
      return {
        jobId: job.id,
        stage: job.stage,
        priority: job.priority,
        at: tx.now,
        weights,
        urgency: jobUrgency(job, tx.now, weights),
        holderFactoryId: job.holderFactoryId ?? null,
        ranked,
        rejected,
        exclusions,
      };
    });
  }

  async action(productId: string, jobId: string, action: JobAction, input: ActionInput) {
    const outcome = await this.unit(productId, (tx) => applyAction(tx, jobId, action, input));
    if (outcome.ok && outcome.value.stoppedFactoryId) {
      const { job, stoppedFactoryId } = outcome.value;
      this.notify(stoppedFactoryId, {
        type: "cancel",
        jobId: job.id,
        leaseEpoch: job.leaseEpoch - 1,
        reason: `${action} by ${input.actor}`,
      });
    }
    return outcome;
  }

  async queueState(productId: string) {
    return this.unit(productId, (tx) => ({ version: queueVersion(tx.sql) }));
  }

  // ---- factory work over HTTP: claim, fenced patch, lease ---------------------------

  async claim(productId: string, factoryId: string, ttlSeconds: number) {
    return this.unit(productId, (tx) => {
      expireDue(tx);
      const factory = requireFactory(tx.sql, factoryId, tx.now);
      updateFactory(tx, factoryId, { lastHeartbeatAt: tx.now });
      return claimFor(tx, factory, ttlSeconds) ?? null;
    });
  }

  async patch(productId: string, factoryId: string, jobId: string, body: PatchBody) {
    return this.unit(productId, (tx) => patchJob(tx, factoryId, jobId, body));
  }

  async renew(productId: string, factoryId: string, jobId: string, epoch: number, ttlSeconds: number) {
    return this.unit(productId, (tx) => renewLease(tx, jobId, factoryId, epoch, ttlSeconds));
  }

  async release(productId: string, factoryId: string, jobId: string, epoch: number) {
    return this.unit(productId, (tx) => releaseLease(tx, jobId, factoryId, epoch));
  }

  /**
   * Read-only fence check: does this factory hold the live lease at this epoch? An artifact upload's
   * early refusal, before it streams; `commitArtifact` is the check that counts.
   */
  async checkLease(productId: string, factoryId: string, jobId: string, epoch: number) {
    return this.unit(productId, (tx) => {
      const job = fence(tx, jobId, factoryId, epoch);
      return { jobId: job.id, leaseEpoch: job.leaseEpoch };
    });
  }

  /**
   * Commit an uploaded artifact's pointer, fenced at commit time (see
   * coordinator/artifact-commit): refused with `fenced` / `not_lease_holder` if
   * the uploader lost its lease while the bytes streamed. On success, returns the
   * pointer it replaced (the caller deletes those bytes).
   */
  async commitArtifact(productId: string, uploader: ArtifactUploader, pointer: ArtifactPointer) {
    return exclusively(this.ctx, async (): Promise<Outcome<ArtifactCommit>> => {
      const checked = await this.unit(productId, (tx) => checkUploader(tx, pointer.jobId, uploader));
      if (!checked.ok) return checked;
      const replaced = await this.env.JOB_FEED.getByName(feedName(productId, pointer.jobId)).putArtifact(pointer);
      return { ok: true, value: { pointer, replaced } };
    });
  }

  // ---- factories -----------------------------------------------------------------------

  async enroll(
    productId: string,
    input: { name: string; capabilities: string[]; seats: number },
    tokenHash: string,
    actor: string,
    codeHash?: string,
  ) {
    return this.unit(productId, (tx) => {
      if (codeHash) consumeEnrollmentCode(tx, codeHash);
      const f = enrollFactory(tx, input, tokenHash);
      enqueueAudit(tx, actor, "factory.enroll", f.id, { name: f.name });
      return f;
    });
  }

  async mintEnrollmentCode(productId: string, hash: string, ttlSeconds: number, actor: string) {
    return this.unit(productId, (tx): EnrollmentCodeInfo => {
      const info = mintEnrollmentCode(tx, hash, ttlSeconds);
      enqueueAudit(tx, actor, "factory.enrollment_code", info.id, { expiresAt: info.expiresAt });
      return info;
    });
  }

  async heartbeat(productId: string, factoryId: string, body: { capabilities?: string[]; seats?: number }) {
    return this.unit(productId, (tx) => {
      // Declared capabilities and seats count only within the factory's grant (factory-grants).
      const factory: Factory = declareFactory(tx, factoryId, body, { lastHeartbeatAt: tx.now });
      const leases = heldAssignments(tx, factoryId).map(({ job, leaseEpoch, expiresAt, ttlSeconds }) => ({
        jobId: job.id,
        leaseEpoch,
        expiresAt,
        ttlSeconds,
      }));
      return { factory, queueVersion: queueVersion(tx.sql), leases };
    });
  }

  /** An operator approves declared capabilities (all pending when none are named) and/or sets the seat limit. */
  async approveFactoryGrant(
    productId: string,
    factoryId: string,
    req: { capabilities?: string[]; seatLimit?: number },
    actor: string,
  ) {
    const outcome = await this.unit(productId, (tx) => {
      const { factory, approved } = approveGrant(tx, factoryId, req);
      enqueueAudit(tx, actor, "factory.grant.approve", factoryId, {
        capabilities: approved,
        ...(req.seatLimit !== undefined ? { seatLimit: req.seatLimit } : {}),
      });
      return factory;
    });
    // Newly routable capabilities may fit queued jobs: offer them now (no stage moved, so unit did not).
    if (outcome.ok) {
      this.dispatch();
      await this.afterWrite();
    }
    return outcome;
  }

  async listFactories(productId: string) {
    return this.unit(productId, (tx) => listFactories(tx.sql, tx.now));
  }

  async getFactory(productId: string, factoryId: string) {
    return this.unit(productId, (tx) => requireFactory(tx.sql, factoryId, tx.now));
  }

  async rotateFactoryToken(productId: string, factoryId: string, newHash: string, actor: string) {
    let watched: { hash: string; jobs: string[] } | undefined;
    const outcome = await this.unit(productId, (tx) => {
      const f = requireFactory(tx.sql, factoryId, tx.now);
      if (f.status === "revoked") throw new DomainError("conflict", `factory ${factoryId} is revoked; enroll it again`);
      watched = this.takeFactoryWatchers(tx, factoryId);
      enqueueAudit(tx, actor, "factory.token.rotate", factoryId);
      return setFactoryToken(tx, factoryId, newHash);
    });
    // Sockets authenticated with the old token must not outlive it.
    if (outcome.ok) this.notify(factoryId, { type: "revoke", reason: "token rotated" }, true);
    if (outcome.ok) await this.closeFactoryStreams(productId, watched);
    return outcome;
  }

  async revokeFactoryToken(productId: string, factoryId: string, actor: string) {
    let watched: { hash: string; jobs: string[] } | undefined;
    const outcome = await this.unit(productId, (tx) => {
      requireFactory(tx.sql, factoryId, tx.now);
      watched = this.takeFactoryWatchers(tx, factoryId);
      const requeued = requeueHeldBy(tx, factoryId, "factory token revoked");
      enqueueAudit(tx, actor, "factory.token.revoke", factoryId, { requeued });
      return setFactoryToken(tx, factoryId, null, "revoked");
    });
    if (outcome.ok) this.notify(factoryId, { type: "revoke", reason: "factory token revoked" }, true);
    if (outcome.ok) await this.closeFactoryStreams(productId, watched);
    return outcome;
  }

  async setFactoryStatus(
    productId: string,
    factoryId: string,
    status: "active" | "draining" | "quarantined",
    actor: string,
  ) {
    const outcome = await this.unit(productId, (tx) => {
      const f = requireFactory(tx.sql, factoryId, tx.now);
      if (f.status === "revoked") throw new DomainError("conflict", `factory ${factoryId} is revoked`);
      enqueueAudit(tx, actor, `factory.${status}`, factoryId);
      return updateFactory(tx, factoryId, { status });
    });
    if (outcome.ok && status !== "active") this.notify(factoryId, { type: "drain", reason: `${status} by ${actor}` });
    if (outcome.ok && status === "active") this.dispatch();
    return outcome;
  }

  async deregister(productId: string, factoryId: string, actor: string) {
    let watched: { hash: string; jobs: string[] } | undefined;
    const outcome = await this.unit(productId, (tx) => {
      requireFactory(tx.sql, factoryId, tx.now);
      watched = this.takeFactoryWatchers(tx, factoryId);
      const requeued = requeueHeldBy(tx, factoryId, "factory deregistered");
      deleteFactory(tx, factoryId);
      enqueueAudit(tx, actor, "factory.deregister", factoryId, { requeued });
      return { requeued };
    });
    if (outcome.ok) this.notify(factoryId, { type: "revoke", reason: "factory deregistered" }, true);
    if (outcome.ok) await this.closeFactoryStreams(productId, watched);
    return outcome;
  }

  private takeFactoryWatchers(tx: Tx, factoryId: string) {
    const hash = factoryTokenHashOf(tx.sql, factoryId);
    return hash ? { hash, jobs: takeWatchedJobs(tx, hash) } : undefined;
  }

  // ---- the reaper's safety net (cron) -------------------------------------------------

  /**
   * The retention pass (core/retention, coordinator/retention) at `now` (ms; the cron's scheduled time, or a test's):
   * enrollment codes and idempotency keys pruned, then up to FEEDS_PER_PASS old terminal feeds purged.
   */
  async prune(productId: string, now: number) {
    const cut = retentionCutoffs(now);
    const rows = await this.unit(productId, (tx) => ({ ...pruneRows(tx, cut), due: feedsDue(tx, cut) }));
    if (!rows.ok) return rows;
    const { due, ...pruned } = rows.value;
    const through = await purgeFeeds(this.env, productId, due);
    if (through) await this.unit(productId, (tx) => advanceFeedWatermark(tx, through));
    return { ok: true as const, value: { ...pruned, feeds: due.findIndex((j) => j === through) + 1 } };
  }

  /**
   * Idempotent sweep: expire lapsed leases (in case an alarm was lost), close
   * sockets of factories silent for 3 heartbeat intervals, ship the outbox,
   * re-arm the alarm and run a dispatch pass.
   */
  async sweep(productId: string) {
    const outcome = await this.unit(productId, (tx) => ({ expired: expireDue(tx) }));
    let closed = 0;
    // Read once: with a thousand sockets attached, a lookup per socket would read the table a thousand times.
    const health = new Map(listFactories(this.sql, Date.now()).map((f) => [f.id, f.health]));
    const now = Date.now();
    for (const ws of this.ctx.getWebSockets()) {
      const att = attachmentOf(ws);
      if (!att?.factoryId) continue;
      const reason = staleSocketReason(att, health.get(att.factoryId), now);
      if (reason) {
        ws.close(1001, reason);
        closed++;
      }
    }
    this.dispatch();
    const shipped = await this.deliverOutbox();
    await this.scheduleAlarm();
    return outcome.ok ? { ...outcome.value, closedSockets: closed, shipped } : outcome;
  }

  // ---- dead letters (outbox-dead-letters) -----------------------------------------------

  /** Dead letters kept here, newest first: undeliverable outbox records and DLQ messages D1 refused. */
  async listDeadLetters(productId: string, since: number, limit: number) {
    return this.unit(productId, (tx) => listDeadLetters(tx.sql, tx.productId, since, limit));
  }

  /** Keeps dead letters the Worker could not write to D1, so none is ever dropped. */
  async keepDeadLetters(productId: string, items: Omit<StoredDeadLetter, "productId">[]) {
    return this.unit(productId, (tx) => keepDeadLetters(tx, items));
  }
}
