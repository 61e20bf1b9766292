/**
 * @module durable-objects/product-coordinator
 * One Durable Object per product: the single writer for its jobs, factories,
 * leases, tokens and queue version. Each public method is one atomic unit over
 * the store modules in `./coordinator/` (see coordinator/runtime/units), so
 * claims are exclusive and fencing is exact. Methods return `Outcome`s: domain
 * refusals are data, not exceptions.
 *
 * The object is composed of parts (coordinator/runtime/composition): units and
 * the product binding, the alarm, the outbox shipper and the factory link. Its
 * RPC methods come in layers over those parts: `AccessRpc` (tokens, codes, feed access) ← `FleetRpc` (enrollment,
 * factories) ← `PolicyRpc` (settings, serial gates, reviews,
 * composite jobs) ← … ← `WorkRpc` (factory work over HTTP) ← this class (jobs, artifacts, upkeep).
 * The body of each unit lives in a module of `./coordinator/`; a method here
 * adds only what follows the commit (telling sockets, closing feed streams). A write made for a request takes its
 * credential (`caller`), checked live in the unit that commits it (runtime/units `runAs`).
 */
import { failure, type Outcome } from "../core/errors.ts";
import { retentionCutoffs } from "../core/retention.ts";
import { feedName, type SubmitInput } from "../shared/coordinator-rpc.ts";
import type { Caller } from "./coordinator/access/tokens.ts";
import { expireDue } from "./coordinator/dispatch/lease-ops.ts";
import { takenLeaseNotice } from "./coordinator/factories/notices.ts";
import { type ActionInput, applyAction, type JobAction } from "./coordinator/jobs/actions.ts";
import {
  type ArtifactCommit,
  type ArtifactUploader,
  COMMIT_FEED_MS,
  checkUploader,
  commitDeadlines,
  exclusively,
  putWithin,
} from "./coordinator/jobs/artifact-commit.ts";
import { explainJob } from "./coordinator/jobs/explain.ts";
import { type KeyQuery, keyVerdicts } from "./coordinator/jobs/idempotency.ts";
import { type JobListQuery, listJobs } from "./coordinator/jobs/list.ts";
import { afterPurge, feedsDue, pruneRows, purgeFailed, purgeFeeds, stillDue } from "./coordinator/jobs/retention.ts";
import { requireJob } from "./coordinator/jobs/rows.ts";
import { listRuns } from "./coordinator/jobs/runs.ts";
import { submitEach, submitJob } from "./coordinator/jobs/submit.ts";
import { withWaitingReason, withWaitingReasons } from "./coordinator/jobs/waiting.ts";
import { findDeadLetter, forgetRedriven, type Redriven } from "./coordinator/outbox/dead-letter-redrive.ts";
import { keepDeadLetters, listDeadLetters, type StoredDeadLetter } from "./coordinator/outbox/dead-letters.ts";
import { wantFeed } from "./coordinator/outbox/feed-wanted.ts";
import { feedBehind } from "./coordinator/outbox/shipper.ts";
import { currentBudget } from "./coordinator/policies/budget.ts";
import { runHealthPass } from "./coordinator/policies/health-check.ts";
import { WorkRpc } from "./coordinator/rpc/work.ts";
import { queueVersion } from "./coordinator/runtime/meta.ts";
import type { ArtifactPointer } from "./feed/artifacts.ts";

export class ProductCoordinator extends WorkRpc {
  /** How long an artifact commit waits for its job's feed in all (ms; jobs/artifact-commit COMMIT_FEED_MS — a test sets it short). */
  private commitFeedMs = COMMIT_FEED_MS;

  // ---- jobs ------------------------------------------------------------------------

  async submit(productId: string, input: SubmitInput, actor: string, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => submitJob(tx, input, actor));
  }

  /** Many submissions in one unit (bulk / queue delivery); each idempotent by its key; `batchId`: their bulk batch. */
  async submitMany(productId: string, inputs: SubmitInput[], actor: string, batchId?: string) {
    return this.units.run(productId, (tx) => submitEach(tx, inputs, actor, batchId));
  }

  /** Read-only: what each keyed request would meet (new / exists / conflict; jobs/idempotency), before it is queued. */
  async checkKeys(productId: string, entries: KeyQuery[], caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => keyVerdicts(tx.sql, entries));
  }

  async getJob(productId: string, id: string) {
    return this.units.run(productId, (tx) => withWaitingReason(tx, requireJob(tx.sql, id), this.link.workReadyIds()));
  }

  /**
   * A reader opens job `id`'s feed (a REST page, a WebSocket or an SSE stream): the job must exist, its feed is wanted
   * from now on, and its events held for coalescing are shipped before this resolves (core/feed-hold), so the read
   * that follows sees every event written before it. `whole`: not without all of them — a REST page answers the
   * feed's last seq as the log's end, an artifact's deletion appends its event after them (and names its `caller`);
   * a stream may go on, the rest reaching it live, in order.
   * @returns the job, or `not_found`; `unavailable` (503) when `whole` and the feed took not all (outbox/shipper)
   */
  async openFeed(productId: string, id: string, whole: boolean, caller: Caller) {
    const out = await this.units.runAs(caller, productId, (tx) => {
      const job = requireJob(tx.sql, id);
      wantFeed(tx, id);
      return job;
    });
    if (!out.ok) return out;
    if (!(await this.outbox.flushFeed(id)) && whole) return failure(feedBehind(id, this.outbox.retryAfterSeconds(id)));
    return out;
  }

  async listJobs(productId: string, q: JobListQuery) {
    return this.units.run(productId, (tx) => {
      const page = listJobs(tx.sql, q);
      // One fleet snapshot for the whole page (coordinator/jobs/waiting), never a fleet read per job.
      return { ...page, jobs: withWaitingReasons(tx, page.jobs, this.link.workReadyIds()) };
    });
  }

  async listRuns(productId: string, jobId: string) {
    return this.units.run(productId, (tx) => {
      requireJob(tx.sql, jobId);
      return listRuns(tx.sql, jobId);
    });
  }

  async explain(productId: string, jobId: string) {
    return this.units.run(productId, (tx) => explainJob(tx, jobId, this.link.workReadyIds()));
  }

  /**
   * A job action; one that took a running job's lease tells its holder at the commit — before the dispatch pass pushes
   * that factory work for the seat it freed (told after, the agent still counted it taken: "no free seat").
   */
  async action(productId: string, jobId: string, action: JobAction, input: ActionInput, caller: Caller) {
    return this.units.runAs(
      caller,
      productId,
      (tx) => applyAction(tx, jobId, action, input),
      (done) => {
        if (done.ok) this.tell(takenLeaseNotice(done.value, `${action} by ${input.actor}`, "operator"));
      },
    );
  }

  async queueState(productId: string) {
    return this.units.run(productId, (tx) => ({ version: queueVersion(tx.sql) }));
  }

  /**
   * Commit an uploaded artifact's pointer, fenced at commit time (coordinator/jobs/artifact-commit): refused with
   * `fenced` / `not_lease_holder` if the uploader lost its lease while the bytes streamed, `unauthorized` if its token
   * was retired meanwhile, or by the JobFeed (`feed_purged`, the job's artifact limits); `unavailable` (503, with its
   * wait) when the feed did not take the job's held events or the pointer within `commitFeedMs`. On success, returns
   * the pointer it replaced (its key doomed in the feed, whose sweep deletes those bytes).
   */
  async commitArtifact(productId: string, uploader: ArtifactUploader, pointer: ArtifactPointer, caller: Caller) {
    return exclusively(this.ctx, async (): Promise<Outcome<ArtifactCommit>> => {
      // Every feed call of the section answered by these, or the commit is refused: the section stays inside 30 s.
      const by = commitDeadlines(Date.now(), this.commitFeedMs);
      // The uploader's credential too: a rotation keeps the lease, so the fence alone let a rotated token commit.
      const checked = await this.units.runAs(caller, productId, (tx) => {
        const settled = checkUploader(tx, pointer.jobId, uploader);
        wantFeed(tx, pointer.jobId); // the feed appends this pointer's event itself: what came before goes first
        return settled;
      });
      if (!checked.ok) return checked;
      // This job's events only, all first, or no commit; no wait for another request's outage probe (this section holds it).
      if (!(await this.outbox.flushFeed(pointer.jobId, false, by.flush)))
        return failure(feedBehind(pointer.jobId, this.outbox.retryAfterSeconds(pointer.jobId)));
      const feed = this.env.JOB_FEED.getByName(feedName(productId, pointer.jobId));
      // The job's stage and `updatedAt` cannot change before this returns: this section holds every other event.
      return putWithin(feed, pointer, checked.value, by.put);
    });
  }

  // ---- the reaper's safety net (cron) -------------------------------------------------

  /**
   * The retention pass (core/retention, coordinator/jobs/retention) at `now` (ms; the cron's scheduled time, or a test's):
   * enrollment codes and idempotency keys pruned, then up to FEEDS_PER_PASS old terminal feeds purged. Answers
   * `unavailable` (jobs/retention `purgeFailed`, what was pruned in its details) when a feed's purge threw, so the cron
   * run counts the product as failed (worker/reaper); the rest is pruned all the same. The watermark's refusal as is.
   */
  async prune(productId: string, now: number) {
    const cut = retentionCutoffs(now);
    const rows = await this.units.run(productId, (tx) => ({ ...pruneRows(tx, cut), due: feedsDue(tx, cut) }));
    if (!rows.ok) return rows;
    const { due, ...pruned } = rows.value;
    // Decided again now, the unit's hooks having awaited: a job requeued since is no longer due (jobs/retention).
    const decision = this.units.transact((tx) => stillDue(tx, due, cut));
    const { purged, failed } = await purgeFeeds(this.env, productId, decision);
    const moved = purged.length > 0 ? await this.units.run(productId, (tx) => afterPurge(tx, purged)) : undefined;
    // Not moved, the watermark holds every next pass on these same feeds, and no later one is ever purged.
    if (moved?.ok === false) return moved;
    const value = { ...pruned, feeds: purged.length };
    if (failed.length > 0) return purgeFailed(failed, value); // the rest above is pruned all the same
    return { ok: true as const, value };
  }

  /**
   * Idempotent sweep: expire lapsed leases and roll the budget's period over (in case an alarm was lost: else an
   * exhaustion pause outlived its period until something read the budget), run the health pass, close sockets of
   * factories silent for 3 heartbeat intervals, ship the outbox (not while an outage backs it off: outbox/shipper
   * `deliver`), re-arm the alarm and run a dispatch pass.
   */
  async sweep(productId: string) {
    const outcome = await this.units.run(productId, (tx) => {
      const expired = expireDue(tx);
      currentBudget(tx); // as the alarm does at the boundary (runtime/composition)
      return { expired, health: runHealthPass(tx, this.link.workReadyIds()) };
    });
    const closed = this.link.closeStale();
    // Throttled, so a pass that throws is logged: thrown here, it skipped the delivery and the re-arm below — the
    // safety net itself — at every sweep for as long as the pass kept failing.
    this.link.requestDispatch();
    const shipped = await this.outbox.deliver();
    await this.clock.arm();
    return outcome.ok ? { ...outcome.value, closedSockets: closed, shipped } : outcome;
  }

  // ---- dead letters (outbox/dead-letters) -----------------------------------------------

  /** Dead letters kept here, newest first (after `after`, a page's last row): outbox records and DLQ messages D1 refused. */
  async listDeadLetters(productId: string, since: number, limit: number, after?: { at: number; id: string }) {
    return this.units.run(productId, (tx) => listDeadLetters(tx.sql, tx.productId, since, limit, after));
  }

  /** Keeps dead letters the Worker could not write to D1, so none is ever dropped. */
  async keepDeadLetters(productId: string, items: Omit<StoredDeadLetter, "productId">[]) {
    return this.units.run(productId, (tx) => keepDeadLetters(tx, items));
  }

  /**
   * The dead letter `id` kept here, or null (outbox/dead-letter-redrive). `caller` checked live: a redrive's first
   * coordinator call, after its body was read — a token revoked meanwhile sends nothing again (401).
   */
  async findDeadLetter(productId: string, id: string, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => findDeadLetter(tx.sql, tx.productId, id) ?? null);
  }

  /** A redrive's last step: this coordinator's copy of the dead letter forgotten and the redrive audited, as one unit. */
  async forgetRedriven(productId: string, actor: string, redriven: Redriven) {
    return this.units.run(productId, (tx) => forgetRedriven(tx, actor, redriven));
  }
}
