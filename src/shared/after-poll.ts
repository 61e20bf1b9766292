/**
 * @module shared/after-poll
 * Runs a bound's decision after the event loop has read what was already waiting for it. A timer's callback runs in
 * the timers phase, before the poll phase that reads sockets and pipes (a coordinator's `ack` or `welcome`, an
 * engine's last lines, a child's exit): with the loop held past the bound (a loaded host, a long synchronous step),
 * a bound that decided in its timer judged on stale state — a healthy answer reported missing, a held lease taken for
 * lapsed, a finished engine stopped. `afterPoll(fn)` defers `fn` to the check phase (setImmediate), which follows the
 * poll phase of the same loop turn, so everything that arrived before the bound was due is seen first. A decision
 * made so must still re-check its own state: what the poll read may have settled it (a cleared timer is too late).
 */

/**
 * A timer's callback that runs `fn` in the check phase (setImmediate) after the timer fires, i.e. after one more poll
 * phase. Use it for bounds whose callback decides something another event could have changed; not for one that only
 * sends. The delay it adds is one loop turn (well under 1 ms on an idle loop). Never throws itself.
 */
export const afterPoll =
  (fn: () => void): (() => void) =>
  () =>
    void setImmediate(fn);
