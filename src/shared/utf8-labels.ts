/**
 * @module shared/utf8-labels
 * Whether a charset label names UTF-8: every label the WHATWG Encoding Standard maps to UTF-8 (what browsers and
 * fetch read as UTF-8), in any case. `charset=utf8` (no dash), which Python's and PHP's servers and many hand-written
 * headers send, read as a foreign charset: the CLI took the coordinator's own problem for another server's, and the
 * Worker refused such a body 415. dashboard/foreign-answer.js keeps the same list (it cannot import this module).
 */

/** The WHATWG Encoding Standard's labels of UTF-8, lowercased. */
export const UTF8_LABELS: ReadonlySet<string> = new Set([
  "unicode-1-1-utf-8",
  "unicode11utf8",
  "unicode20utf8",
  "utf-8",
  "utf8",
  "x-unicode20utf8",
]);

/** Whether `label` (a Content-Type's charset, its quotes off) names UTF-8; blanks at its ends and case ignored. */
export function isUtf8Label(label: string): boolean {
  return UTF8_LABELS.has(label.trim().toLowerCase());
}
