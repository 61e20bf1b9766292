/**
 * @module durable-objects/coordinator/runtime/runtime
 * The machinery under the ProductCoordinator's RPC methods: atomic units, the
 * single alarm, outbox delivery and push dispatch. `FactoryConnections`
 * (factory-connections.ts) adds the factory WebSockets on top, `FleetRpc`
 * (fleet-rpc.ts) the token and factory methods, and `ProductCoordinator` the
 * job and upkeep methods.
 *
 * After every unit that moved the queue version (a job created or a stage
 * changed — which is when a seat frees, a job is requeued or unblocked), a
 * dispatch pass pushes work to connected factories; there is no polling loop.
 */
import { DurableObject } from "cloudflare:workers";
import { DomainError, failure, type Outcome } from "../../../core/errors.ts";
import { FeedBudget } from "../../../core/feed-budget.ts";
import { CLOSE } from "../../../shared/protocol.ts";
import { nextExclusionEnd } from "../dispatch/exclusions.ts";
import { expireDue, giveBack, nextLeaseExpiry } from "../dispatch/lease-ops.ts";
import { planAndAssign } from "../dispatch/plan.ts";
import { notifyFactory, send, workReadySockets } from "../factories/sockets.ts";
import { requireJob } from "../jobs/rows.ts";
import { type DeliveryHost, deliverOutbox } from "../outbox/delivery.ts";
import { appendFeeds } from "../outbox/feed-append.ts";
import { hasPending } from "../outbox/records.ts";
import { queueVersion } from "./meta.ts";
import { applySchema } from "./schema.ts";
import type { Tx } from "./tx.ts";

export abstract class CoordinatorRuntime extends DurableObject<Env> {
  protected readonly sql: SqlStorage;
  protected productId = "";
  private alarmAt: number | null = null;
  /** After an outage round (every destination failed), no delivery before this instant (ms). */
  private deliveryRetryAt = 0;
  private outageRounds = 0;
  /** When records left undelivered are next worth a round (ms). */
  private outboxWakeAt = 0;
  /** Job feeds this coordinator counts open (see core/feed-budget). */
  private readonly feeds = new FeedBudget();
  private delivering: Promise<void> | null = null;
  private deliverAgain = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      applySchema(this.sql);
      this.productId =
        this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'product_id'").toArray()[0]?.value ?? "";
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  protected tx(): Tx {
    return { sql: this.sql, productId: this.productId, now: Date.now() };
  }

  /**
   * One atomic unit: a synchronous SQLite transaction (rolled back on any
   * error). DomainErrors are returned as data — they are answers, not crashes.
   * Afterwards: `answer` (if given), dispatch if the queue moved, ship the outbox, keep the alarm.
   */
  protected async unit<T>(
    productId: string,
    fn: (tx: Tx) => T,
    answer?: (outcome: Outcome<T>) => void,
  ): Promise<Outcome<T>> {
    let out: T;
    let moved = false;
    try {
      this.bindProduct(productId);
      out = this.ctx.storage.transactionSync(() => {
        const before = queueVersion(this.sql);
        const value = fn(this.tx());
        moved = queueVersion(this.sql) !== before;
        return value;
      });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const refused: Outcome<T> = failure(err);
      answer?.(refused);
      return refused;
    }
    const done: Outcome<T> = { ok: true, value: out };
    // Answer before dispatching: a factory must hear that its report landed before it is pushed the job
    // for the seat that report freed, or it sees a push for a seat it still thinks is taken.
    answer?.(done);
    if (moved) this.dispatch();
    await this.afterWrite();
    return done;
  }

  protected async afterWrite(): Promise<void> {
    if (hasPending(this.sql)) this.deliverSoon();
    await this.scheduleAlarm();
  }

  /** A coordinator learns its product id from its first caller and keeps it. */
  protected bindProduct(productId: string): void {
    if (this.productId === productId) return;
    if (this.productId !== "") throw new DomainError("forbidden", "coordinator bound to another product");
    this.productId = productId;
    this.sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", productId);
  }

  // ---- push dispatch ---------------------------------------------------------------

  /** Factories with a greeted, work-ready WebSocket: what push dispatch sends to (read by coordinator/jobs/waiting). */
  protected workReadyIds(): Set<string> {
    return new Set(workReadySockets(this.ctx).keys());
  }

  protected dispatch(): void {
    const ready = workReadySockets(this.ctx);
    if (ready.size === 0 || this.productId === "") return;
    const connected = new Map([...ready].map(([id, { att }]) => [id, { leaseTtlSeconds: att.leaseTtlSeconds }]));
    const plan = this.ctx.storage.transactionSync(() => planAndAssign(this.tx(), connected));
    // A preempted victim's `cancel` goes first, on the socket its seat's new job is pushed on: the factory stops
    // the victim (its seat then counts as free there) before it reads the `assign` for that seat.
    for (const e of plan.evictions) {
      const target = ready.get(e.factoryId);
      if (target) send(target.ws, { type: "cancel", jobId: e.jobId, leaseEpoch: e.leaseEpoch, reason: "preempted" });
    }
    for (const [factoryId, assignments] of plan.assigns) {
      const target = ready.get(factoryId);
      if (target && send(target.ws, { type: "assign", assignments })) continue;
      // The socket went away between planning and sending: give the work back now.
      this.ctx.storage.transactionSync(() => {
        for (const a of assignments) giveBack(this.tx(), requireJob(this.sql, a.job.id), "factory disconnected");
      });
    }
  }

  // ---- alarm + outbox ---------------------------------------------------------------

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    if (this.productId === "") return;
    this.ctx.storage.transactionSync(() => expireDue(this.tx()));
    // Always: the alarm also wakes when a retry's not_before or an exclusion's backoff ends, and nothing else
    // moves the queue then — without this pass, such a job would wait for an unrelated stage change.
    this.dispatch();
    await this.deliverOutbox();
    await this.scheduleAlarm();
  }

  /** Deliver now, in the background; concurrent requests coalesce into one loop. */
  protected deliverSoon(): void {
    if (Date.now() < this.deliveryRetryAt) return;
    if (this.delivering) {
      this.deliverAgain = true;
      return;
    }
    this.delivering = (async () => {
      do {
        this.deliverAgain = false;
        await this.deliverOutbox();
      } while (this.deliverAgain && Date.now() >= this.deliveryRetryAt);
    })().finally(() => {
      this.delivering = null;
    });
  }

  /** Ship outbox records until empty or nothing more can go now (outbox-delivery). Returns how many settled. */
  async deliverOutbox(): Promise<number> {
    const host: DeliveryHost = {
      env: this.env,
      productId: this.productId,
      sql: this.sql,
      feeds: this.feeds,
      appendFeeds: (batches) => appendFeeds(this.env, this.productId, batches),
      now: () => Date.now(),
      transact: (fn) => this.ctx.storage.transactionSync(() => fn(this.tx())),
    };
    const out = await deliverOutbox(host, this.outageRounds);
    this.outageRounds = out.backoffUntil === undefined ? 0 : this.outageRounds + 1;
    if (out.backoffUntil !== undefined) console.warn(`outbox delivery for ${this.productId}: every destination failed`);
    this.deliveryRetryAt = out.backoffUntil ?? 0;
    this.outboxWakeAt = out.wakeAt ?? 0;
    if (out.backoffUntil !== undefined || out.wakeAt !== undefined) await this.scheduleAlarm();
    return out.settled;
  }

  protected async scheduleAlarm(): Promise<void> {
    const now = Date.now();
    const due: number[] = [];
    const lease = nextLeaseExpiry(this.sql);
    if (lease !== undefined) due.push(lease);
    const excluded = nextExclusionEnd(this.sql, now);
    if (excluded !== undefined) due.push(excluded);
    // Only backoffs still ahead: a due retry that no factory can take yet is placed by the next change that could
    // place it (a factory connecting, a seat freeing), not by an alarm re-armed "in the past" — the runtime fires
    // such an alarm at once, and its pass would re-arm it again: a tight loop of wasted work.
    const notBefore = this.sql
      .exec<{ t: number | null }>(
        "SELECT MIN(not_before) AS t FROM jobs WHERE stage = 'queued' AND not_before > ?",
        now,
      )
      .one().t;
    if (notBefore !== null) due.push(notBefore);
    if (hasPending(this.sql)) due.push(Math.max(now + 1_000, this.deliveryRetryAt, this.outboxWakeAt));
    if (due.length === 0) return;
    const at = Math.min(...due);
    if (this.alarmAt !== null && this.alarmAt <= at && this.alarmAt > now - 60_000) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  /** Push a frame to a factory's sockets (cancel, drain), or revoke and close them. */
  protected notify(factoryId: string, frame: Parameters<typeof notifyFactory>[2], close?: boolean): void {
    notifyFactory(this.ctx, factoryId, frame, close ? { code: CLOSE.revoked, reason: "revoked" } : undefined);
  }
}
