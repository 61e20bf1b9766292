/**
 * @module core/batch-repeats
 * Which items of a bulk batch repeat an earlier item's idempotency key, and so name the same job (or its conflict):
 * identical items without a key of their own or the batch's are keyed by their content (worker/bulk-items
 * `content:<sha256>`), so three identical keyless items make one job. The answer and the batch's read said "3
 * accepted", "3 created" for that one job (a newcomer counted three); they now say which items repeat which
 * (`repeatOf`) and how many jobs the batch names (`jobs`). Pure.
 */

/** The outcome of `batchRepeats`: item index → the first earlier item with its key, and the distinct keys. */
export interface BatchRepeats {
  /** Index of an item whose key an earlier item (in `index` order) has → that earlier item's index. */
  repeatOf: Map<number, number>;
  /** How many different keys the items have: the jobs they name. */
  keys: number;
}

/**
 * `items`: the batch's items that hold a key (`index`, `key`), in any order; items without a key are left out by the
 * caller. Out: the repeats, each pointing at the lowest index with the same key, and the count of distinct keys.
 */
export function batchRepeats(items: readonly { index: number; key: string }[]): BatchRepeats {
  const first = new Map<string, number>();
  for (const i of items) {
    const seen = first.get(i.key);
    if (seen === undefined || i.index < seen) first.set(i.key, i.index);
  }
  const repeatOf = new Map<number, number>();
  for (const i of items) {
    const at = first.get(i.key)!;
    if (at !== i.index) repeatOf.set(i.index, at);
  }
  return { repeatOf, keys: first.size };
}
