// Which dead letters a redrive sends back, where, and as what (worker/queues/redrive): a history message as kept, a
// history record kept alone wrapped in a message of one; a webhook message with its deliveryId; a dispatch message
// (`queue:submit` from the dead-letter queue, `queue:dispatch` from its consumer) as kept — never the schema's parse
// of it, which adds the manifest's defaults (the consumer parses what it is sent, as on the first delivery); refused with 409 and a code: a body that is not
// JSON or not its queue's message, one naming another product (outer or inner), a dispatch item without a key, an
// outbox record, an item the coordinator refused, a source no queue takes; a dispatch message kept longer than its
// keys surely dedupe (7 days, less KEY_MARGIN_MS), at `now` as a parameter, to the millisecond — other sources at any age.
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/core/errors.ts";
import { KEY_MARGIN_MS, keysStillDedupe, parseBody, redriveOf } from "../../src/worker/queues/redrive.ts";

const P = "shop";
const record = { productId: P, seq: 4, kind: "audit", body: { at: 1, actor: "op", action: "a", target: "t" } };
const hook = { kind: "webhook", productId: P, body: { deliveryId: "dlv_1", type: "job.stage", seq: 9, productId: P } };
const submit = (manifest: Record<string, unknown>) => ({
  kind: "submit",
  productId: P,
  actor: "op",
  origin: "tracker:t",
  items: [{ manifest, bodyMd: "" }],
});

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof DomainError) return `${err.status} ${err.code}`;
    throw err;
  }
  return undefined;
}

describe("redrive: what goes back", () => {
  it("sends each queue's message as kept, to its queue", () => {
    const message = { kind: "history", productId: P, records: [record] };
    expect(redriveOf(P, "m", "queue:history", message)).toEqual({ queue: "history", message });
    expect(redriveOf(P, "m:0", "queue:history", record)).toEqual({
      queue: "history",
      message: { kind: "history", productId: P, records: [record] },
    });
    expect(redriveOf(P, "w", "queue:webhook", hook)).toEqual({ queue: "webhook", message: hook });
    const dispatch = submit({ title: "t", idempotencyKey: "k" });
    for (const source of ["queue:submit", "queue:dispatch"]) {
      const r = redriveOf(P, "d", source, dispatch);
      expect(r).toEqual({ queue: "dispatch", message: dispatch });
      expect(r.message).toBe(dispatch);
    }
  });
});

describe("redrive: what is refused, kept", () => {
  it("is 409 dead_letter_malformed or dead_letter_not_redrivable", () => {
    const malformed = "409 dead_letter_malformed";
    const not = "409 dead_letter_not_redrivable";
    expect(codeOf(() => parseBody("x", "{not json"))).toBe(malformed);
    expect(codeOf(() => redriveOf(P, "x", "queue:history", { kind: "history", productId: "other", records: [] }))).toBe(
      malformed,
    );
    expect(codeOf(() => redriveOf(P, "x", "queue:history", { ...record, productId: "other" }))).toBe(malformed);
    expect(codeOf(() => redriveOf(P, "x", "queue:history", { kind: "snapshot" }))).toBe(malformed);
    expect(codeOf(() => redriveOf(P, "x", "queue:webhook", { ...hook, body: { ...hook.body, productId: "o" } }))).toBe(
      malformed,
    );
    expect(codeOf(() => redriveOf(P, "x", "queue:webhook", { kind: "webhook", productId: P }))).toBe(malformed);
    expect(codeOf(() => redriveOf(P, "x", "queue:submit", submit({ title: "no key" })))).toBe(not);
    expect(codeOf(() => redriveOf(P, "x", "queue:submit", { kind: "submit" }))).toBe(malformed);
    expect(codeOf(() => redriveOf(P, "outbox:3", "outbox:history", []))).toBe(not);
    expect(codeOf(() => redriveOf(P, "b", "batch:abc", { manifest: { title: "t" } }))).toBe(not);
    expect(codeOf(() => redriveOf(P, "u", "queue:unknown", {}))).toBe(not);
  });
});

describe("redrive: a dispatch message older than its keys", () => {
  it("is 409 dead_letter_not_redrivable from the instant its keys may be forgotten; other sources never", () => {
    const now = 100 * 86_400_000;
    const last = now - 7 * 86_400_000 + KEY_MARGIN_MS;
    for (const source of ["queue:submit", "queue:dispatch"]) {
      expect(codeOf(() => keysStillDedupe("d", source, last, now))).toBeUndefined();
      expect(codeOf(() => keysStillDedupe("d", source, last - 1, now))).toBe("409 dead_letter_not_redrivable");
      expect(codeOf(() => keysStillDedupe("d", source, 1, now))).toBe("409 dead_letter_not_redrivable");
    }
    for (const source of ["queue:history", "queue:webhook"])
      expect(codeOf(() => keysStillDedupe("h", source, 1, now))).toBeUndefined();
  });
});
