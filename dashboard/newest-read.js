/**
 * @module dashboard/newest-read
 * The numbering that lets a page never draw an older read over a newer one: every page that polls or reads again (a
 * timer, the shared poller's ticks, an action's own read, Refresh) can have two reads of the same thing out at once,
 * and the older, answering late, drew what was true before the newer one — a removed rule back, a released breaker
 * open, a job a stage back — until the next read. Each read is numbered as it is sent; its answer, or its failure, is
 * drawn unless a read sent after it has been drawn already.
 *
 * Not "only the read sent last": a page that sends a read every few seconds (a timer, a fast-forwarded test clock, a
 * busy fleet's version changes) while each read takes longer than that drew nothing at all — every answer came back
 * after a newer read was sent (the settings page stayed empty, the health badge unread, on a loaded CI box).
 */

/**
 * A thing's reads: `begin()` numbers a read as it is sent; `newest(n)` says whether read `n` may be drawn — no read
 * sent after it has been drawn — and, if so, marks it drawn (call it where the answer, or the failure, is drawn: an
 * older one answering after it is dropped); `last(n)` says whether no read was sent after `n` (for a busy button: the
 * last read out arms it again, not an older one answering first; an overtake does not change it); `overtake()` marks
 * every read out older than what is drawn: call it when an action's answer comes in — before the page draws it, or
 * sends its re-read — since a read sent before the action says what was true before it, and drawn after the action's
 * own drawing or between its answer and its re-read it put the old state back.
 * @returns {{ begin: () => number, newest: (n: number) => boolean, last: (n: number) => boolean, overtake: () => void }}
 */
export function newestRead() {
  let sent = 0;
  let drawn = 0;
  // The last read begun, apart from `sent`: an overtake numbers past it, yet that read is still the last out — a
  // busy Refresh waiting on it was never armed again (pass 44's review).
  let lastBegun = 0;
  return {
    begin: () => {
      lastBegun = ++sent;
      return lastBegun;
    },
    newest: (n) => {
      if (n < drawn) return false;
      drawn = n;
      return true;
    },
    last: (n) => n === lastBegun,
    overtake: () => {
      drawn = ++sent;
    },
  };
}
