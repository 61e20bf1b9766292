/**
 * @module cli/pool
 * Runs async work over a list with at most `limit` in flight, keeping results
 * in input order — the submit command's "up to 8 manifests at once".
 */

/** Maps `items` through `fn` with at most `limit` calls pending; result i belongs to item i. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
