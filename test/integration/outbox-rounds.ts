// outbox-rounds — delivery rounds run back to back at the wakes the outbox asks for, as its alarm would run them, with
// the coordinator evicted whenever it idles long enough between two: the shared loop of the outbox's long-outage tests
// (outbox-outage-evicted, outbox-refusing-queue-wakes). Time moves by setting the clock, never by waiting.
import type { DeliveryHost } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { QueueHealth } from "../../src/durable-objects/coordinator/outbox/queue-health.ts";
import { forgetMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";

/** The rounds' clock (ms epoch), read by the host's `now`; the outage count the shipper carries between rounds. */
export interface RoundsState {
  clock: number;
  outageRounds: number;
  evictions: number;
}

/**
 * Runs rounds until `until()` holds, no round asks for a wake, or 2,000 rounds ran; each round at the wake the one
 * before asked for (the shipper's outage backoff counted as it counts it), at least 1 s on. An idle of `evictAfterMs`
 * or more before a round evicts the coordinator first: its QueueHealth, the outage count and the meta cache
 * forgotten (a product's object comes back for its alarm with only its SQLite). Returns the rounds run and how many
 * of them were backed off whole as an outage.
 */
export async function roundsAtWakes(
  host: DeliveryHost,
  s: RoundsState,
  until: () => boolean,
  evictAfterMs = Number.POSITIVE_INFINITY,
): Promise<{ rounds: number; outages: number }> {
  let rounds = 0;
  let outages = 0;
  for (; rounds < 2_000 && !until(); rounds++) {
    const o = await deliverOutbox(host, s.outageRounds);
    if (o.backoffUntil !== undefined) outages++;
    s.outageRounds = o.backoffUntil === undefined ? 0 : s.outageRounds + 1;
    const wake = o.backoffUntil ?? o.wakeAt;
    if (wake === undefined) break;
    const next = Math.max(s.clock + 1_000, wake);
    if (next - s.clock >= evictAfterMs) {
      host.queues = new QueueHealth();
      s.outageRounds = 0;
      forgetMeta(host.sql);
      s.evictions++;
    }
    s.clock = next;
  }
  return { rounds, outages };
}
