/**
 * @module durable-objects/coordinator/runtime/composition
 * The ProductCoordinator's parts, composed: atomic units and the product binding (runtime/units), the single
 * alarm (runtime/alarm), the outbox shipper (outbox/shipper) and the factory link (factories/link). This class
 * only builds and wires them and routes the Durable Object's handlers to them; it holds no logic of its own.
 *
 * The RPC methods sit on top as a short class chain (rpc/fleet ← rpc/policy ← ProductCoordinator), not as parts:
 * Workers RPC calls the methods on the object's prototype chain by name, and each layer is a group of stateless
 * methods over these parts — forwarding them from fields would repeat every signature for nothing.
 */
import { DurableObject } from "cloudflare:workers";
import { closeFeedRound, closingsDue } from "../access/feed-closings.ts";
import { cascadesPending, continueCascades } from "../dag/cancel-subtree.ts";
import { continueSettles, settlesPending } from "../dag/settle-walk.ts";
import { expireDue } from "../dispatch/lease-ops.ts";
import { graceLeasesAfterOutage } from "../dispatch/outage-grace.ts";
import { FactoryLink } from "../factories/link.ts";
import { type FactoryNotice, mayHoldNotices, takeNotices } from "../factories/notices.ts";
import { attachedFactoryIds } from "../factories/sockets.ts";
import { fillKeyHashes, keyHashesPending } from "../jobs/idempotency.ts";
import { OutboxShipper } from "../outbox/shipper.ts";
import { refreshHalfOpenAlerts } from "../policies/breaker-alerts.ts";
import { currentBudget } from "../policies/budget.ts";
import { healthDue, runHealthPass } from "../policies/health-check.ts";
import { AlarmClock } from "./alarm.ts";
import { Units } from "./units.ts";

export abstract class ComposedCoordinator extends DurableObject<Env> {
  protected readonly units: Units;
  protected readonly clock: AlarmClock;
  protected readonly outbox: OutboxShipper;
  protected readonly link: FactoryLink;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.units = new Units(ctx.storage, {
      // A unit's stop notices go out before the pass it causes: a factory told after was pushed work for the seat
      // the stop freed while its agent still counted that seat taken, and released the work ("no free seat").
      onMoved: () => {
        this.tellStoppedAtOnce();
        this.link.requestDispatch();
      },
      onCommitted: () => this.afterCommit(),
      onWritten: () => void this.settleSoon(),
    });
    this.clock = new AlarmClock(ctx.storage, (now) => this.outbox.dueAt(now));
    this.outbox = new OutboxShipper(env, this.units, () => this.clock.arm());
    // Work that waits goes before opening feeds nobody reads yet (core/feed-budget BUSY_PACE).
    this.link = new FactoryLink(ctx, this.units, () => this.outbox.loaded());
    void ctx.blockConcurrencyWhile(async () => {
      this.units.load();
      // Leases whose holders lost their link with the coordinator get their grace before anyone can expire them;
      // the sockets attached now are those the runtime kept (an eviction), not lost (a crash: core/outage-grace).
      const attached = attachedFactoryIds(ctx);
      if (this.units.productId) this.units.transact((tx) => graceLeasesAfterOutage(tx, attached));
      await this.clock.load();
      // Keys only the jobs column holds, past the start's one step (jobs/idempotency): the rest in alarms, at once.
      if (keyHashesPending(this.units.sql)) await this.clock.arm();
    });
  }

  /** The settling that units committed since the last one wait for (see `afterCommit`). */
  private settling: Promise<void> | null = null;

  /**
   * After committed units: ship the outbox if it holds anything, keep the alarm — once for all the units that
   * commit before the microtasks run (the frames of one turn: factories/frame-turns), not after each (issue 12:
   * 20 % of the statements a job cost). Every unit still waits for it before it returns; only the work is shared.
   * A microtask, never a timer: a timer is an event, and a unit awaiting it from inside `blockConcurrencyWhile`
   * (an artifact commit) would wait for an event that section holds back — the object reset after 30 s.
   */
  private afterCommit(): Promise<void> {
    this.outbox.noteUnit(); // every unit, before they are coalesced: the history hold's measure of load
    return this.settleSoon();
  }

  /**
   * The settling the next microtask runs, shared by every unit and every write outside one (runtime/units
   * `onWritten`) made before it: a leading dispatch pass writes inside its unit's turn and shares its settling.
   * Never rejects: the units awaiting it have committed (and may have been answered), and a 500 for a write that
   * stands invites a retry that repeats it (a submit without a key, twice). What failed — the alarm's arming, the
   * stop notices' push — is tried again by the next settling (the notices stay stored until pushed).
   */
  private settleSoon(): Promise<void> {
    this.settling ??= Promise.resolve()
      .then(() => {
        this.settling = null;
        return this.settle();
      })
      .catch((err: unknown) =>
        console.error(`settling after a write of ${this.units.productId} failed: ${String(err)}`),
      );
    return this.settling;
  }

  private async settle(): Promise<void> {
    this.tellStopped(); // notices of a unit that moved nothing a pass acts on, or that `tellStoppedAtOnce` left
    if (this.outbox.pending()) this.outbox.soon();
    await this.clock.arm();
  }

  /**
   * The notices units queued for factories (factories/notices: cancels for holders, drains), pushed now that they
   * are committed; taken from their tables in a transaction of their own, only when a unit may have written some
   * (`mayHoldNotices`: no read otherwise).
   */
  private tellStopped(): void {
    const notices = mayHoldNotices(this.units.sql) ? this.units.transact((tx) => takeNotices(tx.sql)) : [];
    for (const n of notices) this.tell(n);
  }

  /** One frame to a factory's sockets, if it has any (none: nothing to tell). */
  protected tell(notice: FactoryNotice | undefined): void {
    if (notice) this.link.notify(notice.factoryId, notice.frame);
  }

  /**
   * `tellStopped` right after a commit, before the dispatch pass it causes (or a socket's close it causes: a revoke).
   * Never throws: the unit has committed (and may have been answered); notices it could not take stay stored, and the
   * settling that follows tries again.
   */
  protected tellStoppedAtOnce(): void {
    try {
      this.tellStopped();
    } catch (err) {
      console.error(`stop notices of ${this.units.productId} not pushed at the commit: ${String(err)}`);
    }
  }

  /** The factory WebSocket upgrade (factories/link). */
  override fetch(request: Request): Promise<Response> {
    return this.link.accept(request);
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    return this.link.message(ws, message);
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    return this.link.closed(ws, code, reason);
  }

  override webSocketError(ws: WebSocket): Promise<void> {
    return this.link.errored(ws);
  }

  override async alarm(): Promise<void> {
    this.clock.fired();
    // The next step of the key-hash fill (jobs/idempotency), if one is left: bounded, so one alarm stays short.
    if (keyHashesPending(this.units.sql)) this.units.transact((tx) => fillKeyHashes(tx.sql));
    if (this.units.productId === "") {
      await this.clock.arm(); // the fill's next step, if any (nothing else is due for a coordinator with no product)
      return;
    }
    this.units.transact((tx) => {
      expireDue(tx);
      currentBudget(tx); // the budget's period boundary (policies/budget): rolls over, lifting an exhaustion pause
      refreshHalfOpenAlerts(tx); // a breaker's cool-down ended: its alert says half-open (policies/breaker-alerts)
    });
    // The expired leases' holders hear it before any pass pushes work for the seats that freed (the one below runs
    // before this settles when nothing is awaited in between); nothing is read when nothing expired.
    this.tellStoppedAtOnce();
    // A cancelled composite's subtree too big for one unit: its next chunk, in a unit of its own (dag/cancel-subtree),
    // whose commit pushes the cancels to the holders of the running ones.
    if (cascadesPending(this.ctx.storage.sql)) await this.units.run(this.units.productId, (tx) => continueCascades(tx));
    // A settled job's waiters past one unit's SETTLE_CHUNK: the next of them, in a unit of their own (dag/settle-walk).
    if (settlesPending(this.ctx.storage.sql)) await this.units.run(this.units.productId, (tx) => continueSettles(tx));
    // A revoked token's feeds past the page its revoking call closed: the next page (access/feed-closings).
    if (closingsDue(this.ctx.storage.sql, Date.now())) await closeFeedRound(this.env, this.units, this.units.productId);
    // A health threshold due (a job turning stuck or starving, a factory's beats missed): alerts at that instant.
    if (healthDue(this.ctx.storage.sql, Date.now()))
      this.units.transact((tx) => runHealthPass(tx, this.link.workReadyIds()));
    // Always: the alarm also wakes when a retry's not_before or an exclusion's backoff ends, and nothing else
    // moves the queue then — without this pass, such a job would wait for an unrelated stage change.
    // Throttled, so a pass that throws is logged, not thrown: the runtime's retries of a thrown alarm (a few, with
    // backoff) would add nothing a later pass does not (every unit, hello and sweep passes again), while the throw
    // skipped the delivery and the re-arm below, and once the retries ran out no alarm was left to expire leases.
    this.link.requestDispatch();
    await this.outbox.deliver();
    await this.clock.arm();
  }
}
