// How the dashboard reads a dead letter (dashboard/dead-letter-text.js): the code a reason starts with; a one-line
// summary of each message kind the coordinator keeps (a dispatch message's jobs, a history message's records, a
// webhook delivery, a refused bulk item, a body that was not JSON) — bounded, someone's text isolated; a message
// opened is cut at MESSAGE_MAX, never inside a surrogate pair, saying how much is not shown; and each redrive
// refusal's advice.
import { describe, expect, it } from "vitest";
import {
  MESSAGE_MAX,
  messageSummary,
  messageText,
  reasonCode,
  redriveAdvice,
  SUMMARY_MAX,
  // @ts-expect-error plain browser JavaScript, typed by JSDoc only
} from "../../dashboard/dead-letter-text.js";

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
  });

  it("advises on each redrive refusal the route makes, and leaves the rest to the problem's words", () => {
    expect(redriveAdvice("dead_letter_not_redrivable")).toMatch(/^It stays listed/);
    expect(redriveAdvice("dead_letter_malformed")).toMatch(/not one its queue takes/);
    expect(redriveAdvice("not_found")).toMatch(/read again/);
    expect(redriveAdvice("unavailable")).toBe("");
    expect(redriveAdvice("toString")).toBe("");
  });
});
