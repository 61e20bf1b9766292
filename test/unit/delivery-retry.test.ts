// When an undeliverable outbox record is retried (capped exponential backoff, `now` as a parameter),
// when it becomes a dead letter (after the last try, or at once when it can never fit a message), and when a
// queue's refusal counts as a try at all (only when that queue took other messages: else it may be down).
import { describe, expect, it } from "vitest";
import {
  afterFailure,
  blamesRecord,
  MAX_DELIVERY_ATTEMPTS,
  RETRY_CAP_MS,
  retryDelayMs,
  tooLargeReason,
} from "../../src/core/delivery-retry.ts";

describe("delivery retries", () => {
  it("back off exponentially from 2 s, capped at 5 min", () => {
    expect([1, 2, 3, 4].map(retryDelayMs)).toEqual([2_000, 4_000, 8_000, 16_000]);
    expect(retryDelayMs(20)).toBe(RETRY_CAP_MS);
    expect(retryDelayMs(0)).toBe(2_000);
  });

  it("span 2 + 4 + … + 128 s = 254 s from the first failure to the last try, as MAX_DELIVERY_ATTEMPTS says", () => {
    let waited = 0;
    for (let failed = 0, now = 0; ; failed++) {
      const d = afterFailure(failed, now, "boom");
      if (d.kind === "dead_letter") break;
      waited += d.nextAt - now;
      now = d.nextAt;
    }
    expect(waited).toBe(254_000);
  });

  it("schedule the next try from `now` until the last try, then dead-letter with the last error", () => {
    const now = 1_000_000;
    expect(afterFailure(0, now, "boom")).toEqual({ kind: "retry", attempts: 1, nextAt: now + 2_000 });
    expect(afterFailure(MAX_DELIVERY_ATTEMPTS - 2, now, "boom")).toMatchObject({
      kind: "retry",
      attempts: MAX_DELIVERY_ATTEMPTS - 1,
    });
    const last = afterFailure(MAX_DELIVERY_ATTEMPTS - 1, now, "queue refused");
    expect(last).toMatchObject({ kind: "dead_letter", attempts: MAX_DELIVERY_ATTEMPTS });
    expect(last.kind === "dead_letter" && last.reason).toContain("queue refused");
  });

  it("blame a refused record only when its queue took another message that round or since it last failed", () => {
    expect(blamesRecord(true)).toBe(true); // the queue was up this round, yet refused it
    expect(blamesRecord(false)).toBe(false); // nothing shows the queue up: an outage, not the record
    expect(blamesRecord(false, 500)).toBe(false); // a first failure alone in its round
    expect(blamesRecord(false, 500, 500)).toBe(true); // the queue took a message after (or as) it last failed
    expect(blamesRecord(false, 499, 500)).toBe(false); // nothing taken since it last failed
    expect(blamesRecord(false, undefined, 500)).toBe(false); // nothing taken since the coordinator started
  });

  it("a record larger than the message budget is refused at once, one that fits is not", () => {
    expect(tooLargeReason(100, 100)).toBeUndefined();
    expect(tooLargeReason(101, 100)).toContain("101 bytes");
  });
});
