/**
 * @module worker/queues/history-isolate
 * The history consumer's last delivery of a message whose write D1 refused: which of its records D1 still refuses,
 * found by halving — a half that writes is done, a half that fails is halved again — so `k` refused records among
 * `n` cost about 2·k·log2(n) writes, not `n` (a write a record had made thousands of D1 calls in one invocation, past
 * D1's 1,000 queries per invocation). The calls are bounded by a budget shared by the whole invocation: a group still
 * failing when it is spent is not halved further, and is kept whole (its records unwritten, none lost). Every group
 * is written at most once, and no record is in two groups, so nothing is written twice.
 */

/** One record's place in its message (`k`: its index among the message's well-formed records). */
export interface Refused {
  /** Indexes of the records (into the list given), in order: one record, or a group the budget left whole. */
  ks: number[];
  /** D1's error on the last write that held them. */
  error: unknown;
}

/** What isolating one message's records found. */
export interface Isolated {
  /** Records D1 refused, each alone, and groups the budget left unhalved; in record order. */
  refused: Refused[];
  /** Whether any record was written: if none, D1 is down rather than refusing a record. */
  wrote: boolean;
}

/** D1 calls left to this invocation's last-try writes (each write costs `cost(records)` of it). */
export interface WriteBudget {
  left: number;
}

/**
 * D1 calls one invocation's last-try writes may make, all messages together: far under D1's 1,000 queries per
 * invocation (each call a batch of a few statements), with room left for the batch's other writes and dead letters.
 */
export const LAST_TRY_D1_CALLS = 64;

/**
 * Splits `count` records, which `write` already failed to write with `error`, until D1's refusal is pinned to single
 * records or `budget` is spent. `write(ks)` writes the records at those indexes (in order); `cost(n)`: the D1 calls a
 * write of `n` records makes. Never throws (`write`'s throws are the findings).
 */
export async function isolateRefused(
  count: number,
  error: unknown,
  write: (ks: number[]) => Promise<void>,
  cost: (n: number) => number,
  budget: WriteBudget,
): Promise<Isolated> {
  const out: Isolated = { refused: [], wrote: false };
  const halve = async (ks: number[], err: unknown): Promise<void> => {
    if (ks.length <= 1) {
      out.refused.push({ ks, error: err });
      return;
    }
    const mid = Math.ceil(ks.length / 2);
    // In record order, each half once: a run's start is written before its end (history/write keeps their order).
    for (const half of [ks.slice(0, mid), ks.slice(mid)]) {
      if (budget.left < cost(half.length)) {
        out.refused.push({ ks: half, error: err });
        continue;
      }
      budget.left -= cost(half.length);
      try {
        await write(half);
        out.wrote = true;
      } catch (e) {
        await halve(half, e);
      }
    }
  };
  await halve(
    Array.from({ length: count }, (_, k) => k),
    error,
  );
  return out;
}
