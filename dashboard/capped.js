/**
 * @module dashboard/capped
 * What a capped, growing list on screen (a job's log lines, its timeline rows) is about to draw: items arrive one
 * event at a time, tens of thousands of them when a long log replays, but only the newest `max` are ever shown. They
 * wait here, as data, until the page draws them in one write; an item pushed out before that is counted, never
 * built. Building every line of a 200,000-line replay as DOM nodes and dropping all but the last 5,000 again kept a
 * tab busy for three minutes (test/e2e/dashboard-scale-job).
 */

/** How far past `max` a list may grow before it is trimmed back to `max`. */
const SLACK = 1.25;

/**
 * @template T
 * @typedef {object} Pending
 * @property {(items: Iterable<T>) => void} push items arriving, oldest first
 * @property {() => T[]} take the newest `max` waiting (oldest first), emptying the list
 * @property {() => number} size items waiting (may briefly exceed `max`, by at most a quarter)
 * @property {() => number} dropped items pushed out unbuilt since the last `take`, counted once
 */

/**
 * A list of waiting items that keeps the newest `max`. Trimmed when it holds a quarter more (SLACK), so a push costs
 * O(1) on average instead of a shift per item, and what waits stays near what the page shows (a log line may be
 * 12,000 bytes: twice the cap held twice the log's memory).
 * @template T
 * @param {number} max
 * @returns {Pending<T>}
 */
export function pending(max) {
  /** @type {T[]} */
  let items = [];
  let dropped = 0;
  const limit = Math.ceil(max * SLACK);
  const trim = (/** @type {number} */ keep) => {
    if (items.length <= keep) return;
    dropped += items.length - keep;
    items = items.slice(items.length - keep);
  };
  return {
    push: (more) => {
      for (const item of more) {
        items.push(item);
        if (items.length >= limit) trim(max);
      }
    },
    take: () => {
      trim(max);
      const out = items;
      items = [];
      return out;
    },
    size: () => items.length,
    dropped: () => {
      const n = dropped;
      dropped = 0;
      return n;
    },
  };
}

/**
 * Append `nodes` to `list` in one write, removing its oldest children so it holds at most `max`; returns how many
 * it removed. `nodes` must be at most `max` long (a `take` of a list capped at `max`).
 * @param {Element} list @param {Node[]} nodes @param {number} max
 * @returns {number}
 */
export function appendCapped(list, nodes, max) {
  const over = list.childElementCount + nodes.length - max;
  if (over >= list.childElementCount) {
    const removed = list.childElementCount;
    list.replaceChildren(...nodes);
    return removed;
  }
  for (let i = 0; i < over; i++) list.firstElementChild?.remove();
  list.append(...nodes);
  return Math.max(0, over);
}
