/**
 * @module durable-objects/coordinator/runtime/kept-refusal
 * Refusals that still keep a record (`KeptRefusal`): what a refused unit decided that must outlive its rollback — a
 * fenced report's real spend, the expiry of a lapsed lease the fence found — and how it is written after the
 * rollback (`runKeeps`: by runtime/units after a refused unit, by factories/batch after a refused frame).
 */
import { DomainError } from "../../../core/errors.ts";
import { addCounts, type Tx } from "./tx.ts";

/** One record a refusal keeps: written with the refused unit's `now` (time is a parameter), in a savepoint of its own. */
export type Keep = (tx: Tx) => void;

/**
 * A refusal that still records something: the refused unit rolls back as any refusal does (nothing it did stays),
 * then each of `keeps` runs, in order, in a savepoint of its own inside one unit of its own — synchronously, nothing
 * in between, with the refused unit's `now` — and the caller is answered with `refusal` (its code, message and
 * details: the same body as without the keeps). A DomainError from a keep only undoes that keep: the others stay and
 * the refusal is answered all the same. Each keep re-reads what it changes: it must be a no-op when already done.
 * What is kept, and why:
 *   - a run report fenced because its lease was lost still carries money its engine really spent
 *     (policies/late-spend): the report must change nothing, and the spend must still be charged;
 *   - a refusal that found the lease lapsed (dispatch/lease-ops `fence`) keeps the expiry it decided the answer on:
 *     rolled back, the job stayed assigned to a holder just told it lost the job, until the alarm requeued it.
 * A refusal that already keeps something can keep more (`keepFirst`): a fenced report over a lapsed lease keeps its
 * charge, then the expiry.
 */
export class KeptRefusal extends DomainError {
  /** The refusal answered (never a KeptRefusal itself): callers that tell refusals apart look at this one. */
  readonly refusal: DomainError;
  readonly keeps: readonly Keep[];

  constructor(refusal: DomainError, keeps: readonly Keep[]) {
    super(refusal.code, refusal.message, refusal.details);
    this.refusal = refusal;
    this.keeps = keeps;
  }
}

/** The refusal `err` answers with, whatever it keeps (a KeptRefusal's own `refusal`). */
export function refusalOf(err: DomainError): DomainError {
  return err instanceof KeptRefusal ? err.refusal : err;
}

/** `err`, keeping `keep` too, before anything it keeps already. */
export function keepFirst(err: DomainError, keep: Keep): KeptRefusal {
  return err instanceof KeptRefusal ? new KeptRefusal(err.refusal, [keep, ...err.keeps]) : new KeptRefusal(err, [keep]);
}

/**
 * Runs a KeptRefusal's keeps, in order, each through `isolate` (a savepoint: a DomainError undoes that keep only and
 * the next still runs; any other error is a crash and propagates), each with a Tx of its own at `now`: per-unit
 * caches keyed by the Tx (policies/lesson-rows, policies/breakers) may hold what the refused part saw before it was
 * undone. Used by `Units.run` and by factories/batch (a refused frame of a batch). `expiries`: the unit's count of
 * lease expiries per holder (Tx `expiries`), given by a unit that writes each factory's record once at its end; a
 * keep counts in its own, added to it only when the keep stands.
 */
export function runKeeps(
  refusal: KeptRefusal,
  sql: SqlStorage,
  productId: string,
  now: number,
  isolate: <T>(fn: () => T) => T,
  expiries?: Map<string, number>,
): void {
  for (const keep of refusal.keeps) {
    const own = expiries && new Map<string, number>();
    try {
      isolate(() => keep({ sql, productId, now, ...(own ? { expiries: own } : {}) }));
      if (expiries && own) addCounts(expiries, own);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
    }
  }
}
