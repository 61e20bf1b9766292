/**
 * @module durable-objects/coordinator/runtime/units
 * The coordinator's atomic units and its product binding: each unit is one synchronous SQLite transaction,
 * rolled back on any error, with domain refusals returned as data. What follows a commit is the hooks' business
 * (`onMoved`: the queue moved in a way a dispatch pass can act on; `onCommitted`: ship the outbox, keep the alarm).
 *
 * THE SHIPPING RULE, kept here and nowhere else: every commit that wrote outbox records is followed by shipping them
 * — a unit's (`run`) by `onCommitted`, awaited; a write outside a unit (`transact`: a dispatch pass, the alarm's
 * expiries, a delivery round's dead letters) by `onWritten`, scheduled. Such writes run where no caller ships for
 * them: a trailing dispatch pass runs in a timer of its own (factories/throttle) — its `assigned` records waited, in
 * the outbox, for an unrelated unit or the alarm (test/integration/off-request-shipping.test.ts).
 *
 * A refusal may still keep records (`KeptRefusal`): its unit rolls back, then the records are written in a unit of
 * their own, at the refused unit's instant, before the refusal is answered.
 */
import { DomainError, failure, type Outcome } from "../../../core/errors.ts";
import { assertCallerLive, type Caller } from "../access/tokens.ts";
import { forgetAllCachedFactories } from "../factories/cache.ts";
import { closeGroup, openGroup } from "../outbox/history-groups.ts";
import { forgetPending, outboxWrites } from "../outbox/pending.ts";
import { forgetTouched } from "../outbox/webhook-records.ts";
import { forgetAlertKinds } from "../policies/alerts.ts";
import { KeptRefusal, runKeeps } from "./kept-refusal.ts";
import { closeMetaUnit, dispatchMark, forgetMeta, openMetaUnit, setMeta } from "./meta.ts";
import { applySchema } from "./schema.ts";
import type { Tx } from "./tx.ts";

/** What runs after a unit commits (wired by runtime/composition). */
export interface UnitHooks {
  /**
   * The unit made a queue-version bump a pass can act on (runtime/meta `dispatchMark`: work queued, a lease ended,
   * settings changed): work may be pushed (one pass per macrotask).
   */
  onMoved(): void;
  /** Every committed unit: ship what it put in the outbox, keep the alarm armed. */
  onCommitted(): Promise<void>;
  /**
   * A write outside a unit (`transact`) put records in the outbox: ship them and keep the alarm as after a unit —
   * scheduled, not awaited (`transact` is synchronous), and not counted as a unit.
   */
  onWritten(): void;
}

export class Units {
  readonly sql: SqlStorage;
  /** The product this coordinator serves, learnt from its first caller ("" until then). */
  productId = "";

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly hooks: UnitHooks,
  ) {
    this.sql = storage.sql;
  }

  /** Creates the schema and reads the binding; run once, in the constructor's `blockConcurrencyWhile`. */
  load(): void {
    applySchema(this.sql);
    this.productId =
      this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'product_id'").toArray()[0]?.value ?? "";
  }

  tx(): Tx {
    return { sql: this.sql, productId: this.productId, now: Date.now() };
  }

  /**
   * `fn` in one synchronous transaction, for passes that are not units of their own: no dispatch, no answer —
   * but records it wrote are shipped (`onWritten`: the shipping rule above).
   */
  transact<T>(fn: (tx: Tx) => T): T {
    const before = outboxWrites(this.sql);
    const value = this.rollingBack(() => this.storage.transactionSync(() => this.grouped(() => fn(this.tx()))));
    if (outboxWrites(this.sql) !== before) this.hooks.onWritten();
    return value;
  }

  /**
   * `fn` with the history records it writes gathered into its unit's group (outbox/history-groups): written just
   * before the transaction commits, dropped with a rollback — a savepoint's along with it, the rest kept.
   */
  private grouped<T>(fn: () => T): T {
    openGroup(this.sql);
    openMetaUnit(this.sql); // the queue version, bumped in memory, is written once, at the commit (runtime/meta)
    let ok = false;
    try {
      const value = fn();
      ok = true;
      return value;
    } finally {
      closeMetaUnit(this.sql, ok);
      closeGroup(this.sql, ok);
    }
  }

  /**
   * `fn` as a part of the unit running now that can fail alone: a nested transaction (a SQLite savepoint), so a
   * throw undoes `fn`'s writes only and the unit goes on (factories/batch: one refused frame of a batch). Call
   * only inside `run` or `transact`; outside a unit it would commit on its own.
   */
  nested<T>(fn: () => T): T {
    return this.rollingBack(() => this.storage.transactionSync(() => this.grouped(fn)));
  }

  /**
   * `body`, forgetting what is kept in memory about the tables if it throws (factory documents, meta values, a
   * non-empty outbox, activity written this unit, which alert kinds have live alerts): the rollback may have undone
   * a write they saw.
   */
  private rollingBack<T>(body: () => T): T {
    try {
      return body();
    } catch (err) {
      forgetAllCachedFactories(this.sql);
      forgetMeta(this.sql);
      forgetPending(this.sql);
      forgetTouched(this.sql);
      forgetAlertKinds(this.sql);
      throw err;
    }
  }

  /**
   * One atomic unit: a synchronous SQLite transaction (rolled back on any
   * error). DomainErrors are returned as data — they are answers, not crashes.
   * Afterwards: `answer` (if given), dispatch if the queue moved, ship the outbox, keep the alarm.
   */
  async run<T>(productId: string, fn: (tx: Tx) => T, answer?: (outcome: Outcome<T>) => void): Promise<Outcome<T>> {
    let out: T;
    let moved = false;
    let now = Date.now();
    try {
      this.bind(productId);
      const tx = this.tx();
      now = tx.now; // what a KeptRefusal keeps is written at this instant too
      out = this.rollingBack(() =>
        this.storage.transactionSync(() =>
          this.grouped(() => {
            const before = dispatchMark(this.sql);
            const value = fn(tx);
            moved = dispatchMark(this.sql) !== before;
            return value;
          }),
        ),
      );
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const kept = err instanceof KeptRefusal && this.keepAfter(err, now);
      const refused: Outcome<T> = failure(err);
      answer?.(refused);
      if (kept) {
        if (kept.moved) this.hooks.onMoved();
        await this.hooks.onCommitted();
      }
      return refused;
    }
    const done: Outcome<T> = { ok: true, value: out };
    // Answer before dispatching: a factory must hear that its report landed before it is pushed the job
    // for the seat that report freed, or it sees a push for a seat it still thinks is taken.
    answer?.(done);
    if (moved) this.hooks.onMoved();
    await this.hooks.onCommitted();
    return done;
  }

  /**
   * `run` for a write a request made with credential `caller` (access/tokens `Caller`): the credential is checked live
   * first, in the same transaction as `fn` — a token revoked or rotated while the request's body streamed is refused
   * here (401 `unauthorized`), nothing written. Every write the Worker makes for a request goes through this.
   */
  runAs<T>(
    caller: Caller,
    productId: string,
    fn: (tx: Tx) => T,
    answer?: (outcome: Outcome<T>) => void,
  ): Promise<Outcome<T>> {
    return this.run(
      productId,
      (tx) => {
        assertCallerLive(tx, caller);
        return fn(tx);
      },
      answer,
    );
  }

  /**
   * A KeptRefusal's records, in a unit of their own at the refused unit's `now`, each in a savepoint (`runKeeps`).
   * `moved`: a keep moved the queue (a kept expiry requeued the job: a dispatch pass may push it at once).
   */
  private keepAfter(refusal: KeptRefusal, now: number): { moved: boolean } {
    return this.rollingBack(() =>
      this.storage.transactionSync(() =>
        this.grouped(() => {
          const before = dispatchMark(this.sql);
          runKeeps(refusal, this.sql, this.productId, now, (fn) => this.nested(fn));
          return { moved: dispatchMark(this.sql) !== before };
        }),
      ),
    );
  }

  /**
   * What follows a unit, for a call that ran a pass after its unit (a hello's takeover, a grant that needs a pass) and
   * returns only once it has settled; the pass's records are shipped without it (`onWritten`).
   */
  settle(): Promise<void> {
    return this.hooks.onCommitted();
  }

  /** A coordinator learns its product id from its first caller and keeps it. */
  bind(productId: string): void {
    if (this.productId === productId) return;
    if (this.productId !== "") throw new DomainError("forbidden", "coordinator bound to another product");
    this.productId = productId;
    setMeta(this.sql, "product_id", productId);
  }
}
