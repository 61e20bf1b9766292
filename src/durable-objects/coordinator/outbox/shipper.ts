/**
 * @module durable-objects/coordinator/outbox/shipper
 * Ships the coordinator's outbox in the background: requests to deliver coalesce into one loop of rounds
 * (outbox/delivery), and the shipper keeps what a round leaves behind — the outage backoff, when undelivered
 * records are next worth a round, and the job feeds it counts open (core/feed-budget).
 */
import { FeedBudget } from "../../../core/feed-budget.ts";
import { historyLoaded, UnitRate } from "../../../core/history-hold.ts";
import { QUEUE_SEND_MS } from "../../call-bound.ts";
import type { Units } from "../runtime/units.ts";
import { DELIVERY_LOOP_MS, type DeliveryHost, deliverOutbox, QueueHealth } from "./delivery.ts";
import { lastHeldSeq } from "./due-rows.ts";
import { appendFeeds, FEED_CALL_MS } from "./feed-append.ts";
import { type FlushParts, type FlushResult, flushJobFeed } from "./feed-flush.ts";
import { takeUrgent } from "./feed-wanted.ts";
import { OutageProbe } from "./outage-probe.ts";
import { hasPending } from "./pending.ts";

export { feedBehind } from "./feed-behind.ts";

/** Records are never retried sooner than this after a unit wrote them, when the alarm is their only wake-up (ms). */
const ALARM_ROUND_MS = 1_000;
/**
 * Least time between the starts of two delivery loops that units asked for (ms): under load, the records of the
 * units in between go in one round — one queue message, one feed call per job — instead of a round per unit
 * (at 200 single submits/s a round per unit was 11 % of the CPU). A unit that finds the outbox idle longer than
 * this still ships at once, and so does one that wrote an event of a watched feed (outbox/feed-wanted
 * `markUrgent`): its watchers wait for it — with the gap alone, the fan-out bench's p50 went from 9 to 22 ms.
 */
export const MIN_ROUND_GAP_MS = 25;
export class OutboxShipper {
  // The outage backoff and the wake live in memory, unlike the outage's start and a queue's refusal (QueueHealth,
  // SQLite): an eviction forgets the wake (the alarm armed for it stays) and starts the backoff again at 2 s, but an
  // outage is ridden out only until its horizon from that kept start (254 s), so at most twice — a few rounds more,
  // never a storm of refused sends (test/integration/outbox-outage-evicted; 60 rounds were it kept in memory too).
  /** After an outage round (every destination failed), no delivery before this instant (ms). */
  private retryAt = 0;
  private outageRounds = 0;
  /** When records left undelivered are next worth a round (ms). */
  private wakeAt = 0;
  /** Job feeds this coordinator counts open (see core/feed-budget). */
  private readonly feeds = new FeedBudget();
  /** What the queues did with the messages sent to them, across rounds (outbox/delivery). */
  private readonly queues = new QueueHealth();
  /** During an outage backoff, the one send readers' flushes make per window (outbox/outage-probe). */
  private readonly probe = new OutageProbe();
  /** How long a feed call, and a queue send, is waited for (ms; feed-append FEED_CALL_MS, call-bound QUEUE_SEND_MS). */
  private feedCallMs = FEED_CALL_MS;
  private sendMs = QUEUE_SEND_MS;
  /** Units committed per second: with the feed budget's busy state, whether D1 history is held (core/history-hold). */
  private readonly unitRate = new UnitRate();
  private delivering: Promise<number> | null = null;
  private again = false;
  /** When the last loop a unit asked for started (ms), and the timer of the next one, if it waits. */
  private lastSoonAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** The timer's callback: a loop, through `soon` (the backoff and the gap still apply). */
  private readonly woken = () => {
    this.timer = null;
    this.soon();
  };

  constructor(
    private readonly env: Env,
    private readonly units: Units,
    /** Called when a round leaves a backoff or a wake-up behind: the alarm must cover it. */
    private readonly onDeferred: () => Promise<void>,
  ) {}

  /** Whether anything waits to be shipped. */
  pending(): boolean {
    return hasPending(this.units.sql);
  }

  /**
   * When the alarm should next run a round, if anything waits (ms). A record written since the wake's round began is
   * shipped by the loop its unit wakes; should that round not come back, a throw forgets the wake (`failed`) and a
   * reset's new instance has none (runtime/alarm `load`). Not the next second after every such write: an alarm round
   * a second under load, ~17 % of the workerd's CPU per job (bench/README, fortieth pass).
   */
  dueAt(now: number): number | undefined {
    return this.pending() ? Math.max(now + ALARM_ROUND_MS, this.retryAt, this.wakeAt) : undefined;
  }

  /**
   * Deliver in the background, soon: at once if no loop a unit asked for started within MIN_ROUND_GAP_MS, else
   * when that gap has passed — every request in between joins that one loop.
   */
  soon(): void {
    const now = Date.now();
    if (now < this.retryAt) return;
    // An event someone is watching goes at once (its watchers wait); the rest may wait for the gap.
    const urgent = takeUrgent(this.units.sql);
    if (this.timer && !urgent) return;
    const wait = urgent ? 0 : this.lastSoonAt + MIN_ROUND_GAP_MS - now;
    if (wait > 0) {
      this.timer = setTimeout(this.woken, wait);
      return;
    }
    this.lastSoonAt = now;
    this.deliver().catch((err: unknown) =>
      console.error(`outbox delivery for ${this.units.productId} failed: ${String(err)}`),
    );
  }

  /**
   * The coordinator is loaded (a dispatch pass left runnable work waiting for a seat, or frames queued behind a
   * turn): new feeds open at the busy pace for a while (core/feed-budget `busy`).
   */
  loaded(): void {
    this.feeds.busy(Date.now());
  }

  /** A unit committed (runtime/composition): counted for the history hold's load (core/history-hold `UnitRate`). */
  noteUnit(): void {
    this.unitRate.note(Date.now());
  }

  /**
   * Ship `jobId`'s pending feed events now, alone — feed calls for this job only, not a delivery loop over the
   * whole outbox, so a reader opening a feed (or an artifact commit, inside its exclusive section) never waits for
   * another job's backlog. Every event of the job pending when it starts is shipped, in order (outbox/feed-flush),
   * before it resolves: the read that follows must see all of them (a chatty job held 3,000 on a slow box; shipping
   * the first 1,000 only ended a page's replay early, cut a REST read's log short and let an artifact's event go
   * before older ones). Those waiting for a retry too (outbox/due-rows `heldEvents`): one event whose append failed
   * once held every later one back for its backoff. A retried event goes alone, as in a round; the fresh ones after
   * it in one call. It stops early only at a failure, left to the loop, which retries on its own schedule, or past
   * its time budget. Appending twice is harmless: the feed keeps each outbox seq once. During an outage backoff,
   * one flush per window sends for the feeds the outage round found refusing, and one per window for any other feed
   * (outbox/outage-probe): once it was refused, the others of its gate send nothing; those that come while it runs
   * wait for it, within the probe's bound, unless `waitForProbe` is false (an artifact commit, in its exclusive section).
   * `by` (ms since the epoch): its caller's deadline (jobs/artifact-commit): no feed call is begun or awaited past it.
   * @returns whether every event pending at its start went (false: stopped early, the rest left to the loop; or,
   *   during a backoff whose probe was refused or is unanswered past its bound, the job has events held)
   */
  async flushFeed(jobId: string, waitForProbe = true, by?: number): Promise<boolean> {
    const { units, feeds, queues, feedCallMs: callMs } = this;
    const parts: FlushParts = { env: this.env, units, feeds, queues, callMs, ...(by === undefined ? {} : { by }) };
    // What a flush's end does is part of the flush: a probe answered past its bound still ends the outage it found over.
    const flush = () => flushJobFeed(parts, jobId).then((r) => this.flushed(r));
    const flushed = await this.probe.run(jobId, () => this.retryAt, flush, waitForProbe);
    if (flushed === undefined) return lastHeldSeq(this.units.sql, jobId) === undefined;
    return flushed.whole;
  }

  /** Seconds a reader refused for `jobId`'s held events (outbox/feed-behind) is told to wait (outbox/outage-probe). */
  retryAfterSeconds(jobId: string): number {
    return this.probe.retryAfterSeconds(jobId, this.retryAt, Date.now());
  }

  /**
   * A flush ended, `whole` or stopped short. Its feed took events during an outage backoff: not every destination
   * refuses, the outage is over (as its kept start: outbox/queue-health `outageOver`) and so is its backoff — the rest
   * need not wait up to 128 s. When it delivered events that waited for a retry (`unblocked`, or the outage over),
   * the ones behind them — left by a stop, fresh, or back at their own retry times (outbox/retries `releaseBlocked`);
   * or written while a whole flush ran, after the last one it ships — may go now, and the wake the last round left
   * (the delivered one's retry, up to 128 s on) is stale: the alarm is armed for the next round instead
   * (ALARM_ROUND_MS), not a round here, inside an artifact commit's exclusive section.
   * Never throws: the alarm's arming failing is logged, the flush's answer stands. @returns `result`
   */
  private async flushed(result: FlushResult): Promise<FlushResult> {
    const outageOver = result.took && this.retryAt > 0;
    if (outageOver) {
      this.retryAt = 0;
      this.outageRounds = 0;
    }
    if (result.unblocked || outageOver) {
      this.wakeAt = 0;
      await this.onDeferred().catch((err: unknown) =>
        console.error(`outbox alarm for ${this.units.productId} after a flush failed: ${String(err)}`),
      );
    }
    return result;
  }

  /**
   * Ship outbox records until empty or nothing more can go now (outbox/delivery); resolves to how many settled in
   * the loop it ran or joined. One loop at a time: a caller that finds one running (the alarm or the sweep right
   * after a unit's own `soon`) makes it go round once more and waits for it — two loops side by side would peek the
   * same undelivered records and send each of them twice (a webhook receiver would see every delivery twice).
   * Bounded: DELIVERY_LOOP_MS from its start (outbox/delivery), then the rest goes in a loop of its own, at once, that
   * its waiters (the alarm: its due work waits for it) do not wait for — as does one asked for after its last look.
   * None during an outage backoff (resolves to 0): the alarm fires for any due work (back to back for a cancel
   * cascade's chunks) and the sweep every minute, and each of their rounds was one more refused send per destination;
   * the alarm is armed for the backoff's end (`dueAt`), and runs its round then.
   */
  deliver(): Promise<number> {
    if (this.delivering) {
      this.again = true;
      return this.delivering;
    }
    if (Date.now() < this.retryAt) return Promise.resolve(0);
    const startedAt = Date.now();
    this.delivering = (async () => {
      let settled = 0;
      do {
        this.again = false;
        settled += await this.round(startedAt);
      } while (this.again && Date.now() >= this.retryAt && Date.now() - startedAt < DELIVERY_LOOP_MS);
      return settled;
    })().finally(() => {
      this.delivering = null;
      if (this.again && !this.timer) this.timer = setTimeout(this.woken, 0); // asked again: a loop of its own
    });
    return this.delivering;
  }

  /**
   * A round threw (a storage error): the last wake knew nothing of records written since, and left armed a record due
   * at once waited for it (a blocked job's retry, up to a queue's 5 min). Forgotten, the alarm armed from what is due
   * now (the next second): a cost per failed round. Throws `err` again; the arming's own failure is logged.
   */
  private async failed(err: unknown): Promise<never> {
    this.wakeAt = 0;
    await this.onDeferred().catch((armErr: unknown) =>
      console.error(`outbox alarm for ${this.units.productId} after a failed round failed: ${String(armErr)}`),
    );
    throw err;
  }

  /** Rounds until the outbox is empty, nothing more can go now or the loop's budget is spent; keeps what they leave. */
  private async round(startedAt: number): Promise<number> {
    const { env, units } = this;
    const host: DeliveryHost = {
      env,
      productId: units.productId,
      sql: units.sql,
      feeds: this.feeds,
      queues: this.queues,
      historyHeld: (now) => historyLoaded(this.feeds.isBusy(now), this.unitRate.perSecond(now)),
      appendFeeds: (batches) => appendFeeds(env, units.productId, batches, this.feedCallMs),
      sendMs: this.sendMs,
      now: () => Date.now(),
      transact: (fn) => units.transact(fn),
    };
    const out = await deliverOutbox(host, this.outageRounds, startedAt).catch((err: unknown) => this.failed(err));
    this.outageRounds = out.backoffUntil === undefined ? 0 : this.outageRounds + 1;
    if (out.backoffUntil !== undefined)
      console.warn(`outbox delivery for ${units.productId}: every destination failed`);
    this.retryAt = out.backoffUntil ?? 0;
    if (out.refusedFeeds) this.probe.outageRound(out.refusedFeeds);
    this.wakeAt = out.wakeAt ?? 0;
    // A wake sooner than the alarm would run a round (the feed budget's next new feed): a timer of its own.
    const wait = this.wakeAt - Date.now();
    if (out.wakeAt !== undefined && wait < ALARM_ROUND_MS && !this.timer)
      this.timer = setTimeout(this.woken, Math.max(0, wait));
    if (out.backoffUntil !== undefined || out.wakeAt !== undefined) await this.onDeferred();
    return out.settled;
  }
}
