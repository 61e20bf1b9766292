/**
 * @module dashboard/newest-read
 * The numbering that lets a page draw only its newest read: every page that polls or reads again (a timer, the
 * shared poller's ticks, an action's own read, Refresh) can have two reads of the same thing out at once, and the
 * older, answering late, drew what was true before the newer one — a removed rule back, a released breaker open, a
 * job a stage back — until the next read. Each read is numbered as it is sent; its answer, or its failure, is the
 * page's news only while no read was sent after it.
 */

/**
 * A thing's reads, newest first: `begin()` numbers a read as it is sent, `newest(n)` says whether none was sent after
 * read `n` (draw its answer, or say its failure, only then). `overtake()` numbers nothing but makes every read out
 * older: for an action whose answer the page draws itself (a read out before it says what was true before it).
 * @returns {{ begin: () => number, newest: (n: number) => boolean, overtake: () => void }}
 */
export function newestRead() {
  let sent = 0;
  return { begin: () => ++sent, newest: (n) => n === sent, overtake: () => void ++sent };
}
