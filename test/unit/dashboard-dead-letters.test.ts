// How the dashboard reads a dead letter (dashboard/dead-letter-text.js): the code a reason starts with; a one-line
// summary of each message kind the coordinator keeps (a dispatch message's jobs, a history message's records, a
// webhook delivery, a refused bulk item, a body that was not JSON) — bounded, someone's text isolated; a message
// opened is cut at MESSAGE_MAX, never inside a surrogate pair, saying how much is not shown; and each redrive
// refusal's advice. Redrive is offered exactly where the server can send a dead letter back: for any source, message
// and age, the page's rule (`notRedrivable`) refuses what the server's (worker/queues/redrive `redriveOf`,
// `keysStillDedupe`) refuses as `dead_letter_not_redrivable`, and offers what it sends — the page offered Redrive on
// outbox records and refused bulk items, which the server always refuses.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  KEY_DEDUPE_DAYS,
  KEY_MARGIN_MS,
  MESSAGE_MAX,
  messageSummary,
  messageText,
  notRedrivable,
  reasonCode,
  redriveAdvice,
  SUMMARY_MAX,
  // @ts-expect-error plain browser JavaScript, typed by JSDoc only
} from "../../dashboard/dead-letter-text.js";
import { DomainError } from "../../src/core/errors.ts";
import { DEFAULT_RETENTION } from "../../src/core/retention.ts";
import { keysStillDedupe, redriveOf, KEY_MARGIN_MS as SERVER_MARGIN_MS } from "../../src/worker/queues/redrive.ts";

const graphemes = (s: string) => [...new Intl.Segmenter().segment(s)].length;

describe("dashboard dead letters: what a row says", () => {
  it("takes the code a reason starts with, and nothing else", () => {
    expect(reasonCode("conflict: key taken")).toBe("conflict");
    expect(reasonCode("webhook delivery failed on all 9 attempts; the last: …")).toBe("");
    expect(reasonCode("Conflict: capitalised")).toBe("");
    expect(reasonCode(undefined)).toBe("");
  });

  it("sums up each kind of message on one line", () => {
    const submit = { kind: "submit", items: [1, 2, 3, 4].map((i) => ({ manifest: { title: `t${i}` }, bodyMd: "" })) };
    expect(messageSummary(submit)).toBe("submit: 4 jobs — job “t1”, job “t2”, job “t3”, …");
    const history = { kind: "history", records: [{ kind: "audit" }, { kind: "audit" }, { kind: "run" }] };
    expect(messageSummary(history)).toBe("history: 3 records: audit ×2, run");
    const hook = { kind: "webhook", productId: "p", body: { deliveryId: "dlv_1", type: "job.submitted" } };
    expect(messageSummary(hook)).toBe("webhook: job.submitted (delivery dlv_1)");
    expect(messageSummary({ manifest: { title: "fix login" }, bodyMd: "" })).toBe("job “fix login”");
    expect(messageSummary({ markdown: "# a" })).toBe("job as markdown (3 characters)");
    expect(messageSummary({ at: 1, actor: "op", action: "lesson.add" })).toBe("lesson.add");
    expect(messageSummary({ a: 1, b: 2 })).toBe("fields a, b");
    expect(messageSummary(null)).toBe("null");
    expect(messageSummary("<html>502 Bad Gateway</html>")).toBe("not JSON: <html>502 Bad Gateway</html>");
  });

  it("bounds a summary, and isolates someone's right-to-left override", () => {
    const long = messageSummary(`x${"y".repeat(200_000)}`);
    expect(graphemes(long)).toBe(SUMMARY_MAX);
    const title = messageSummary({ manifest: { title: "evil\u202Etxt.exe" } });
    expect(title).toBe("\u2068job “evil\u202Etxt.exe”\u2069"); // the line one isolate: the override ends in it
  });

  it("draws a message opened whole up to MESSAGE_MAX, then cut outside a surrogate pair with what is left", () => {
    expect(messageText({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(messageText("not json")).toBe("not json");
    const emoji = `${"a".repeat(MESSAGE_MAX - 1)}😀${"b".repeat(10)}`;
    const cut = messageText(emoji);
    expect(cut.startsWith("a".repeat(MESSAGE_MAX - 1))).toBe(true);
    expect(cut).toBe(`${"a".repeat(MESSAGE_MAX - 1)}\n… 12 more characters not shown`);
    expect(messageText(`${"c".repeat(MESSAGE_MAX + 5000)}`)).toMatch(/\n… 5,000 more characters not shown$/);
    // One left over is one character, not "1 more characters".
    expect(messageText("d".repeat(MESSAGE_MAX + 1))).toMatch(/\n… 1 more character not shown$/);
  });

  it("advises on each redrive refusal the route makes, and leaves the rest to the problem's words", () => {
    expect(redriveAdvice("dead_letter_not_redrivable")).toMatch(/^It stays listed/);
    expect(redriveAdvice("dead_letter_malformed")).toMatch(/not one its queue takes/);
    expect(redriveAdvice("not_found")).toMatch(/read again/);
    expect(redriveAdvice("unavailable")).toBe("");
    expect(redriveAdvice("toString")).toBe("");
  });

  it("offers Redrive exactly where the server can send the dead letter back", () => {
    expect(KEY_DEDUPE_DAYS).toBe(DEFAULT_RETENTION.idempotencyKeyDays);
    expect(KEY_MARGIN_MS).toBe(SERVER_MARGIN_MS);
    const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);
    const DAY = 86_400_000;
    const item = (key: boolean) => ({ manifest: { title: "t", ...(key ? { idempotencyKey: "k1" } : {}) }, bodyMd: "" });
    const submit = (keys: boolean[]) => ({
      kind: "submit",
      productId: "p",
      actor: "a",
      origin: "o",
      items: keys.map(item),
    });
    const source = fc.oneof(
      fc.constantFrom("queue:history", "queue:webhook", "queue:submit", "queue:dispatch", "queue:unknown"),
      fc.constantFrom("outbox:", "batch:", "tracker:", "queue:").chain((p) => fc.string().map((x) => p + x)),
      fc.string(),
    );
    const body = fc.oneof(
      fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }).map(submit),
      fc.constant({ kind: "history", productId: "p", records: [] }),
      fc.jsonValue(),
    );
    /** The server's answer: "sent", "not_redrivable" or "malformed" (a refusal only Redrive's press can say). */
    const server = (src: string, b: unknown, at: number) => {
      try {
        redriveOf("p", "dl1", src, b);
        keysStillDedupe("dl1", src, at, NOW);
        return "sent";
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        return err.code === "dead_letter_not_redrivable" ? "not_redrivable" : "malformed";
      }
    };
    // The generators reach each answer (the rule is not checked against refusals alone).
    expect(server("queue:submit", submit([true]), NOW)).toBe("sent");
    expect(server("queue:submit", submit([false]), NOW)).toBe("not_redrivable");
    expect(server("queue:submit", submit([true]), NOW - 7 * DAY)).toBe("not_redrivable");
    expect(server("outbox:x", {}, NOW)).toBe("not_redrivable");
    fc.assert(
      fc.property(source, body, fc.integer({ min: 0, max: 30 * DAY }), (src, b, age) => {
        const at = NOW - age;
        const said = server(src, b, at);
        const why: string = notRedrivable({ source: src, body: b, at }, NOW);
        if (said === "sent") expect(why, `${src} ${JSON.stringify(b)}`).toBe("");
        if (said === "not_redrivable") expect(why, `${src} ${JSON.stringify(b)}`).not.toBe("");
      }),
      { numRuns: 2000 },
    );
    // The newcomer's rows: an outbox record and a refused bulk item are never offered; a webhook delivery is.
    expect(notRedrivable({ source: "outbox:job.stage", body: {}, at: NOW }, NOW)).toMatch(/outbox seq/);
    expect(notRedrivable({ source: "batch:b1", body: {}, at: NOW }, NOW)).toMatch(/refused this item itself/);
    expect(notRedrivable({ source: "queue:webhook", body: {}, at: NOW }, NOW)).toBe("");
    expect(notRedrivable({ source: "queue:submit", body: submit([true]), at: NOW - 6 * DAY - 1 }, NOW)).toMatch(
      /^it is 6 days old/,
    );
    expect(notRedrivable({ source: "queue:submit", body: submit([true, false]), at: NOW }, NOW)).toMatch(
      /no idempotency key/,
    );
  });
});
