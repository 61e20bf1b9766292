/**
 * @module durable-objects/coordinator/outbox/wake
 * When undelivered records are next worth a delivery round (outbox/delivery), read from the rows left after a round
 * that sent nothing more: a feed slot freed, the end of a feed event's or a history record's hold, a retry time, or a
 * refusing queue's ask. Never a blind poll: a round with records left and none of those known would have polled every
 * second for as long as they stayed — a state no round leaves (test/integration/outbox-wake-known, fast-check over
 * rounds of real writes, failures and flushes), so it waits the retry cap and says so, rather than spin.
 */
import { RETRY_CAP_MS } from "../../../core/delivery-retry.ts";
import { heldUntil, holdCutoff } from "../../../core/feed-hold.ts";
import { historyCutoff, historyDueAt } from "../../../core/history-hold.ts";
import type { DeliveryHost, RoundResult } from "./delivery.ts";
import { oldestHeldAt, oldestHeldHistoryAt } from "./due-rows.ts";
import { nextRetryAt } from "./retries.ts";

/** The start of the line logged when records wait with no due time known (`roundWake`): greppable, alertable. */
export const NO_DUE_TIME = "outbox records wait with no due time known";

/**
 * When the records a round left are next worth a round (ms), asked at `now` (ms): at least a second on, or the feed
 * budget's next new feed when `deferred` events wait for a slot. The holds are read as the round read them (its
 * `plannedAt` and `historyHeld`): a record held then and due by now is due at once, not forgotten for the round.
 */
export function roundWake(
  host: DeliveryHost,
  round: Pick<RoundResult, "deferred" | "askAt" | "plannedAt" | "historyHeld">,
  now: number,
): number {
  const soon = now + 1_000;
  // Deferred by the feed budget: back when it admits the next new feed (25 a second, one at a time), not a second
  // later — the shipper wakes itself for a wait shorter than the alarm's (outbox/shipper).
  if (round.deferred > 0) return Math.min(soon, Math.max(host.feeds.nextNewAt(now), now + 1));
  const due: number[] = [];
  const held = oldestHeldAt(host.sql, holdCutoff(round.plannedAt));
  if (held !== undefined) due.push(heldUntil(held));
  // Records of a refusing queue stay due, unsent, until it is asked again: the first retry after now, and that.
  const retry = nextRetryAt(host.sql, round.askAt === undefined ? undefined : now);
  if (retry !== undefined) due.push(retry);
  if (round.askAt !== undefined) due.push(round.askAt);
  // History held while the coordinator is loaded (core/history-hold) goes when the load ends — which no unit
  // announces — or when its oldest record has waited the whole hold: a wake at that instant, not a poll.
  const history = round.historyHeld ? oldestHeldHistoryAt(host.sql, historyCutoff(round.plannedAt, true)) : undefined;
  if (history !== undefined) due.push(historyDueAt(history, host.feeds.busyEndsAt()));
  if (due.length > 0) return Math.max(Math.min(...due), soon);
  console.warn(`${NO_DUE_TIME} (product ${host.productId}): next round in ${RETRY_CAP_MS / 1_000} s`);
  return now + RETRY_CAP_MS;
}
