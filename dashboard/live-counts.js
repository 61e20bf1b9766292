// live-counts.js — the header's job and factory counts in words (header-summary.js, job-chips.js), from the counts
// the shared poller (live.js) reads.

/** "1,234", or "…" before the first read. @param {number | undefined} n */
export function countText(n) {
  return n === undefined ? "…" : n.toLocaleString("en-US");
}

/**
 * The header's counts as words: "1 job · 1 queued · … · 1 factory" — it said "1 jobs" and "1 factories" (the fleet
 * page's line already said "1 factory"). `counts`: jobs per stage (Live `counts`), `factories`: how many are listed.
 * @param {Map<string, number>} counts @param {number} factories
 * @returns {string[]}
 */
export function summaryParts(counts, factories) {
  let total = 0;
  for (const n of counts.values()) total += n;
  const c = (/** @type {string} */ s) => countText(counts.get(s));
  return [
    `${countText(total)} ${total === 1 ? "job" : "jobs"}`,
    `${c("queued")} queued`,
    `${c("building")} building`,
    `${c("review")} in review`,
    `${c("testing")} testing`, // left out, a job in testing counted in the total and in no part (pass 30)
    `${c("failed")} failed`,
    `${countText(factories)} ${factories === 1 ? "factory" : "factories"}`,
  ];
}
