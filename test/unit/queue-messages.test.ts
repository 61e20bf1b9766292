// Dispatch queue messages are sized in UTF-8 bytes of the JSON the queue stores: every message, envelope and commas
// included, is at most MAX_MESSAGE_BYTES whatever the script (ASCII, 漢, emoji), an item of exactly maxItemBytes still
// travels alone and one byte more does not fit, and sendBatch groups stay within 100 messages and 200 KiB.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonBytes } from "../../src/core/bytes.ts";
import type { SubmitInput } from "../../src/shared/coordinator-rpc.ts";
import { chunkForQueue, MAX_MESSAGE_BYTES, maxItemBytes, sendBatches } from "../../src/worker/queues/messages.ts";

const base = { kind: "submit" as const, productId: "p", actor: "operator:tok_1", origin: "batch:b" };
const item = (bodyMd: string): SubmitInput =>
  ({ manifest: { title: "t", idempotencyKey: "k" }, bodyMd }) as unknown as SubmitInput;
const script = fc.constantFrom("a", "é", "漢", "\u{1f600}", "\n", '"');

describe("chunkForQueue", () => {
  it("keeps every message within MAX_MESSAGE_BYTES of UTF-8 JSON, items in order", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(script, fc.nat({ max: 12_000 })), { minLength: 1, maxLength: 40 }), (spec) => {
        const items = spec.map(([ch, n]) => item(ch.repeat(n)));
        const messages = chunkForQueue(base, items);
        expect(messages.flatMap((m) => m.items)).toEqual(items);
        for (const m of messages) expect(jsonBytes(m)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      }),
      { numRuns: 30 },
    );
  });

  it("fits an item of exactly maxItemBytes in a message of its own, and not one byte more", () => {
    const limit = maxItemBytes(base);
    const overhead = jsonBytes(item(""));
    const at = item("漢".repeat(Math.floor((limit - overhead) / 3)) + "a".repeat((limit - overhead) % 3));
    expect(jsonBytes(at)).toBe(limit);
    expect(jsonBytes(chunkForQueue(base, [at])[0])).toBe(MAX_MESSAGE_BYTES);
    const over = item(`${at.bodyMd}a`);
    expect(jsonBytes(chunkForQueue(base, [over])[0])).toBe(MAX_MESSAGE_BYTES + 1);
  });
});

describe("sendBatches", () => {
  it("groups messages by at most 100 and 200 KiB of UTF-8", () => {
    const messages = chunkForQueue(
      base,
      Array.from({ length: 300 }, (_, i) => item("漢".repeat(i * 40))),
    );
    const groups = sendBatches(messages);
    expect(groups.flat().map((g) => g.body)).toEqual(messages);
    for (const g of groups) {
      expect(g.length).toBeLessThanOrEqual(100);
      expect(g.reduce((n, m) => n + jsonBytes(m.body), 0)).toBeLessThanOrEqual(200 * 1024);
      expect(g.every((m) => m.contentType === "json")).toBe(true);
    }
  });
});
