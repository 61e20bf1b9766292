/**
 * @module shared/nearest-name
 * The name a typo probably meant, for "did you mean …?" in a fix line: the agent's config file keys
 * (agent/config-file-checks) and a manifest's keys refused by the coordinator (cli/commands/submit). Pure.
 */

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions): `prodcut` → `product` is 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const prev = d[i - 1] as number[];
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j]!, (d[i - 2] as number[])[j - 2]! + 1);
    }
  }
  return (d[a.length] as number[])[b.length]!;
}

/**
 * How many edits a typo of `word` can hold and still be told what it meant: fewer than 0.4 × its length (npm's "did
 * you mean" rule) — none under 3 letters, 1 for 3–5, 2 for 6–7, 3 from 8. Two edits on a three-letter word leave one
 * letter of it: `alerts --all` was told `did you mean "--url"?`, `top` "job", `stop` "ship"; no hint is better.
 */
export function allowedEdits(word: string): number {
  return Math.ceil(word.length * 0.4) - 1;
}

/**
 * The candidate nearest to `word` (case-insensitive; the first of equals), if within both `allowedEdits(word)` and
 * `maxDistance` (2: a doubled, dropped, swapped or wrong letter or two), else undefined.
 */
export function nearestName(word: string, candidates: readonly string[], maxDistance = 2): string | undefined {
  const near = candidates
    .map((k) => ({ k, d: editDistance(word.toLowerCase(), k.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  return near && near.d <= Math.min(maxDistance, allowedEdits(word)) ? near.k : undefined;
}
